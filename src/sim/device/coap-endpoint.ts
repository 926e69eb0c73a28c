/**
 * The CoAP message layer of a simulated LwM2M device (RFC 7252 §4, §5.2, §5.3), over any bearer:
 *
 *   outgoing requests (Register, Update, De-register)   ── CON ──►  peer
 *        UDP: retransmitted with exponential back-off (RFC 7252 §4.2, §4.8)
 *        SMS: sent once ("CoAP retransmission is disabled for this binding", LwM2M Transport)
 *   incoming requests (Read, Write, Execute)            ◄── CON/NON ── peer
 *        answered piggybacked (ACK) to CON, NON to NON, on the bearer they came in on;
 *        a duplicate (same Message ID from the same peer) gets the cached response (§4.5)
 *   separate CON responses                              ◄── CON ── peer
 *        acknowledged (RST when they match nothing); a duplicate gets the same reply (§4.5)
 *
 * Retransmission, matching and de-duplication are the shared CoAP message layer of src/lwm2m
 * (`CoapExchangeStore`, `MessageDeduplicator`), keyed here by bearer and peer; timers come from
 * the injected clock (the system clock by default) and `close` clears them all.
 */
import {
  ACK_RANDOM_FACTOR, ACK_TIMEOUT_SEC, CoapCode, CoapExchangeStore, EXCHANGE_LIFETIME_SEC, MAX_RETRANSMIT, MAX_TRANSMIT_WAIT_SEC,
  MessageDeduplicator, coapAck, coapRequest, coapReset, coapResponse, decodeCoap, encodeCoap, isRequest, isResponse, peekHeader,
  systemCoapClock, type CoapClock, type CoapMessage, type CoapRequestInit, type ExchangeHandle,
} from '../../lwm2m/index.ts';
import { TypedEmitter } from '../../shared/typed-emitter.ts';

/** The bearers of the LwM2M bindings this simulator speaks: U and S. */
export type Bearer = 'udp' | 'sms';

/** Where a message comes from or goes to. */
export interface CoapPeer {
  readonly bearer: Bearer;
  /** Identity for duplicate detection (RFC 7252 §4.5: Message ID and source endpoint), e.g. `udp:127.0.0.1:5683`, `sms:4917…`. */
  readonly key: string;
  /** Hands one encoded message to the bearer; rejects when the bearer refused it. */
  send(bytes: Uint8Array): Promise<void>;
}

/** Timing of a {@link DeviceCoapEndpoint}; the defaults are those of RFC 7252 §4.8. */
export interface CoapTimingOptions {
  /** RFC 7252 ACK_TIMEOUT (UDP). @defaultValue 2000 */
  readonly ackTimeoutMs?: number;
  /** RFC 7252 ACK_RANDOM_FACTOR (UDP). @defaultValue 1.5 */
  readonly ackRandomFactor?: number;
  /** RFC 7252 MAX_RETRANSMIT (UDP). @defaultValue 4 */
  readonly maxRetransmit?: number;
  /**
   * Over SMS: how long to wait for the response to a request sent once. Over UDP: how long to
   * wait for a separate response after an empty ACK. @defaultValue 93000 (MAX_TRANSMIT_WAIT)
   */
  readonly responseTimeoutMs?: number;
  /** How long a response stays cached for duplicates. @defaultValue 247000 (EXCHANGE_LIFETIME) */
  readonly dedupLifetimeMs?: number;
  /** Time and timers. @defaultValue the system clock */
  readonly clock?: CoapClock;
}

/** Outcome of {@link DeviceCoapEndpoint.request}; it never rejects. */
export type ExchangeResult =
  | { readonly ok: true; readonly response: CoapMessage }
  | { readonly ok: false; readonly reason: 'timeout' | 'reset' | 'send-failed' | 'closed'; readonly detail: string };

/** What a {@link RequestHandler} answers. */
export interface HandledRequest {
  /** Response code (2.xx, 4.xx, 5.xx). */
  readonly code: number;
  readonly payload?: Uint8Array | string;
  readonly contentFormat?: number | null;
  /** Runs once the response was handed to the bearer (never for a duplicate). */
  readonly afterResponse?: () => void;
}

/** Answers one request; must not throw (a throw is answered 5.00). */
export type RequestHandler = (request: CoapMessage, peer: CoapPeer) => HandledRequest;

/** Events of {@link DeviceCoapEndpoint}. */
export type DeviceCoapEndpointEvents = {
  /** A CON was sent again over UDP. */
  retransmission: [bearer: Bearer];
  /** A duplicate request (or CON separate response) was answered from the cache. */
  duplicate: [bearer: Bearer];
  /** A bearer refused a message this endpoint sent on its own (a response, ACK or RST). */
  sendFailed: [bearer: Bearer, error: unknown];
};

/** A new request: the message without type, Message ID and token, which the endpoint assigns. */
export type OutgoingRequest = Omit<CoapRequestInit, 'type' | 'messageId' | 'token'>;

/**
 * The CoAP layer of one device. Contract: {@link request} sends a CON and resolves with the
 * response or a failure reason (never rejects); {@link receive} takes every datagram or SMS
 * message from any peer; `close` ends all exchanges with reason `closed`.
 */
export class DeviceCoapEndpoint extends TypedEmitter<DeviceCoapEndpointEvents> {
  readonly #handler: RequestHandler;
  readonly #responseTimeoutMs: number;
  /** Outgoing exchanges, matched by bearer (an answer over SMS may come from another number of the gateway). */
  readonly #exchanges: CoapExchangeStore<'send-failed' | 'closed'>;
  /** Responses sent, by peer key and Message ID (RFC 7252 §4.5). */
  readonly #responses: MessageDeduplicator<Uint8Array>;
  #closed = false;

  constructor(handler: RequestHandler, timing: CoapTimingOptions = {}) {
    super();
    this.#handler = handler;
    const clock = timing.clock ?? systemCoapClock;
    this.#responseTimeoutMs = timing.responseTimeoutMs ?? MAX_TRANSMIT_WAIT_SEC * 1000;
    this.#exchanges = new CoapExchangeStore(clock, {
      ackTimeoutMs: timing.ackTimeoutMs ?? ACK_TIMEOUT_SEC * 1000,
      ackRandomFactor: timing.ackRandomFactor ?? ACK_RANDOM_FACTOR,
      maxRetransmit: timing.maxRetransmit ?? MAX_RETRANSMIT,
    });
    this.#responses = new MessageDeduplicator(clock, timing.dedupLifetimeMs ?? EXCHANGE_LIFETIME_SEC * 1000);
  }

  /** Exchanges waiting for their response. */
  get pendingExchanges(): number {
    return this.#exchanges.size;
  }

  /**
   * Sends `init` as a CON request with a fresh Message ID and a 4-byte random token. Over UDP it
   * is retransmitted after ACK_TIMEOUT × [1, ACK_RANDOM_FACTOR], doubling, MAX_RETRANSMIT times;
   * over SMS it is sent once and the response awaited for `responseTimeoutMs`. Resolves with
   * the response (piggybacked, or separate after an empty ACK), or with reason `timeout`,
   * `reset` (the peer answered RST), `send-failed` or `closed`. Throws only the
   * `GW_ERR_COAP_ENCODE` errors of `coapRequest` for a malformed `init`.
   */
  request(peer: CoapPeer, init: OutgoingRequest): Promise<ExchangeResult> {
    const message = coapRequest({ ...init, type: 'CON', messageId: this.#exchanges.newMessageId(), token: this.#exchanges.newToken(peer.bearer) });
    if (this.#closed) return Promise.resolve({ ok: false, reason: 'closed', detail: 'the endpoint is closed' });
    return this.#exchange(peer, message);
  }

  async #exchange(peer: CoapPeer, message: CoapMessage): Promise<ExchangeResult> {
    const sms = peer.bearer === 'sms';
    const holder: { handle?: ExchangeHandle<'send-failed' | 'closed'> } = {};
    holder.handle = this.#exchanges.request({
      matchKey: peer.bearer,
      message,
      // LwM2M Transport, SMS binding: "CoAP retransmission is disabled for this binding".
      retransmit: !sms,
      responseTimeoutMs: sms ? this.#responseTimeoutMs : null,
      separateResponseTimeoutMs: this.#responseTimeoutMs,
      send: (bytes) => {
        peer.send(bytes).catch((error: unknown) => holder.handle?.cancel('send-failed', String(error)));
      },
      onRetransmit: () => this.emit('retransmission', peer.bearer),
    });
    const outcome = await holder.handle.outcome;
    return outcome.ok ? { ok: true, response: outcome.response } : { ok: false, reason: outcome.reason, detail: outcome.detail };
  }

  /**
   * Takes one message from `peer`. Requests go to the handler (or the duplicate cache);
   * responses, ACKs and RSTs complete outgoing exchanges; a separate CON response is
   * acknowledged; a CoAP ping (empty CON), a CON that cannot be decoded and a CON response to no
   * exchange are answered with RST (RFC 7252 §4.2, §4.3, §5.3.2); anything else is dropped.
   */
  receive(bytes: Uint8Array, peer: CoapPeer): void {
    if (this.#closed) return;
    let message: CoapMessage;
    try {
      message = decodeCoap(bytes);
    } catch {
      const header = peekHeader(bytes);
      if (header?.type === 'CON') this.#sendOwn(peer, coapReset(header.messageId));
      return;
    }
    if (isRequest(message.code)) {
      this.#onRequest(message, peer);
    } else if (message.code === CoapCode.EMPTY) {
      if (message.type === 'CON') this.#sendOwn(peer, coapReset(message.messageId));
      else this.#exchanges.accept(peer.bearer, message); // ACK: a separate response follows; RST: the request failed
    } else if (isResponse(message.code)) {
      this.#onResponse(message, peer);
    }
  }

  /** Ends every exchange with reason `closed` and forgets cached responses. */
  close(): void {
    this.#closed = true;
    this.#exchanges.cancelAll('closed', 'the endpoint was closed');
    this.#responses.clear();
  }

  #onResponse(response: CoapMessage, peer: CoapPeer): void {
    if (response.type !== 'CON') {
      this.#exchanges.accept(peer.bearer, response);
      return;
    }
    // RFC 7252 §4.5: a CON separate response sent again (our ACK was lost) gets the same reply,
    // after its exchange ended; it is not reset as if it matched nothing.
    const cached = this.#responses.lookup(peer.key, response.messageId);
    if (cached !== undefined) {
      this.emit('duplicate', peer.bearer);
      void this.#send(peer, cached.value);
      return;
    }
    const matched = this.#exchanges.accept(peer.bearer, response) !== null;
    // RFC 7252 §5.2.2 / §4.2: a separate CON response is acknowledged, or reset when it matches nothing.
    const reply = encodeCoap(matched ? coapAck(response.messageId) : coapReset(response.messageId));
    this.#responses.remember(peer.key, response.messageId, reply);
    void this.#send(peer, reply);
  }

  #onRequest(request: CoapMessage, peer: CoapPeer): void {
    if (request.type !== 'CON' && request.type !== 'NON') return; // an ACK or RST cannot carry a request (§4.2, §4.3)
    const cached = this.#responses.lookup(peer.key, request.messageId);
    if (cached !== undefined) {
      this.emit('duplicate', peer.bearer);
      void this.#send(peer, cached.value);
      return;
    }
    let handled: HandledRequest;
    try {
      handled = this.#handler(request, peer);
    } catch {
      handled = { code: CoapCode.INTERNAL_SERVER_ERROR };
    }
    const extras = {
      contentFormat: handled.contentFormat ?? null,
      ...(request.type === 'NON' ? { messageId: this.#exchanges.newMessageId() } : {}),
    };
    const bytes = encodeCoap(coapResponse(request, handled.code, handled.payload, extras));
    this.#responses.remember(peer.key, request.messageId, bytes);
    void this.#send(peer, bytes).finally(() => {
      if (!this.#closed) handled.afterResponse?.();
    });
  }

  #sendOwn(peer: CoapPeer, message: CoapMessage): void {
    void this.#send(peer, encodeCoap(message));
  }

  async #send(peer: CoapPeer, bytes: Uint8Array): Promise<void> {
    try {
      await peer.send(bytes);
    } catch (error) {
      this.emit('sendFailed', peer.bearer, error);
    }
  }
}
