/**
 * The CoAP message layer of a simulated LwM2M device (RFC 7252 §4, §5.2, §5.3), over any bearer:
 *
 *   outgoing requests (Register, Update, De-register)   ── CON ──►  peer
 *        UDP: retransmitted with exponential back-off (RFC 7252 §4.2, §4.8)
 *        SMS: sent once ("CoAP retransmission is disabled for this binding", LwM2M Transport)
 *   incoming requests (Read, Write, Execute)            ◄── CON/NON ── peer
 *        answered piggybacked (ACK) to CON, NON to NON, on the bearer they came in on;
 *        a duplicate (same Message ID from the same peer) gets the cached response (§4.5)
 *
 * Timers are the node ones; `close` clears them all.
 */
import { randomBytes } from 'node:crypto';
import {
  ACK_RANDOM_FACTOR, ACK_TIMEOUT_SEC, CoapCode, EXCHANGE_LIFETIME_SEC, MAX_RETRANSMIT, MAX_TRANSMIT_WAIT_SEC,
  coapAck, coapRequest, coapReset, coapResponse, decodeCoap, encodeCoap, isRequest, isResponse, peekHeader,
  type CoapMessage, type CoapRequestInit,
} from '../../lwm2m/index.ts';
import { bytesToHex } from '../../shared/hex.ts';
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
  /** A duplicate request was answered from the cache. */
  duplicate: [bearer: Bearer];
  /** A bearer refused a message this endpoint sent on its own (a response, ACK or RST). */
  sendFailed: [bearer: Bearer, error: unknown];
};

interface Outgoing {
  readonly messageId: number;
  readonly bearer: Bearer;
  timer: NodeJS.Timeout | null;
  finish(result: ExchangeResult): void;
}

/** A new request: the message without type, Message ID and token, which the endpoint assigns. */
export type OutgoingRequest = Omit<CoapRequestInit, 'type' | 'messageId' | 'token'>;

/** Token length of the endpoint's requests (RFC 7252 §5.3.1: at most 8; 4 is common). */
const TOKEN_BYTES = 4;

/**
 * The CoAP layer of one device. Contract: {@link request} sends a CON and resolves with the
 * response or a failure reason (never rejects); {@link receive} takes every datagram or SMS
 * message from any peer; `close` ends all exchanges with reason `closed`.
 */
export class DeviceCoapEndpoint extends TypedEmitter<DeviceCoapEndpointEvents> {
  readonly #handler: RequestHandler;
  readonly #ackTimeoutMs: number;
  readonly #ackRandomFactor: number;
  readonly #maxRetransmit: number;
  readonly #responseTimeoutMs: number;
  readonly #dedupLifetimeMs: number;
  /** Outgoing exchanges by token (hex). */
  readonly #outgoing = new Map<string, Outgoing>();
  /** Responses sent, by `peer key#Message ID`, in the order they were sent. */
  readonly #responses = new Map<string, { readonly bytes: Uint8Array; readonly atMs: number }>();
  #messageId = Math.floor(Math.random() * 0x10000);
  #closed = false;

  constructor(handler: RequestHandler, timing: CoapTimingOptions = {}) {
    super();
    this.#handler = handler;
    this.#ackTimeoutMs = timing.ackTimeoutMs ?? ACK_TIMEOUT_SEC * 1000;
    this.#ackRandomFactor = timing.ackRandomFactor ?? ACK_RANDOM_FACTOR;
    this.#maxRetransmit = timing.maxRetransmit ?? MAX_RETRANSMIT;
    this.#responseTimeoutMs = timing.responseTimeoutMs ?? MAX_TRANSMIT_WAIT_SEC * 1000;
    this.#dedupLifetimeMs = timing.dedupLifetimeMs ?? EXCHANGE_LIFETIME_SEC * 1000;
  }

  /** Exchanges waiting for their response. */
  get pendingExchanges(): number {
    return this.#outgoing.size;
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
    const messageId = this.#nextMessageId();
    const token = new Uint8Array(randomBytes(TOKEN_BYTES));
    const bytes = encodeCoap(coapRequest({ ...init, type: 'CON', messageId, token }));
    if (this.#closed) return Promise.resolve({ ok: false, reason: 'closed', detail: 'the endpoint is closed' });
    const tokenHex = bytesToHex(token);
    return new Promise((resolve) => {
      const exchange: Outgoing = {
        messageId,
        bearer: peer.bearer,
        timer: null,
        finish: (result) => {
          if (this.#outgoing.get(tokenHex) !== exchange) return;
          if (exchange.timer !== null) clearTimeout(exchange.timer);
          this.#outgoing.delete(tokenHex);
          resolve(result);
        },
      };
      this.#outgoing.set(tokenHex, exchange);
      const transmit = (attempt: number, timeoutMs: number): void => {
        peer.send(bytes).catch((error: unknown) => exchange.finish({ ok: false, reason: 'send-failed', detail: String(error) }));
        if (peer.bearer === 'sms') {
          exchange.timer = setTimeout(() => exchange.finish({ ok: false, reason: 'timeout', detail: `no response over SMS within ${this.#responseTimeoutMs} ms` }), this.#responseTimeoutMs);
          return;
        }
        exchange.timer = setTimeout(() => {
          if (attempt >= this.#maxRetransmit) {
            exchange.finish({ ok: false, reason: 'timeout', detail: `no ACK after ${attempt} retransmission(s)` });
            return;
          }
          this.emit('retransmission', peer.bearer);
          transmit(attempt + 1, timeoutMs * 2);
        }, timeoutMs);
      };
      transmit(0, this.#ackTimeoutMs * (1 + Math.random() * (this.#ackRandomFactor - 1)));
    });
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
      else if (message.type === 'ACK') this.#onEmptyAck(message.messageId, peer.bearer);
      else if (message.type === 'RST') this.#byMessageId(message.messageId, peer.bearer)?.finish({ ok: false, reason: 'reset', detail: 'the peer answered RST' });
    } else if (isResponse(message.code)) {
      this.#onResponse(message, peer);
    }
  }

  /** Ends every exchange with reason `closed` and forgets cached responses. */
  close(): void {
    this.#closed = true;
    for (const exchange of [...this.#outgoing.values()]) exchange.finish({ ok: false, reason: 'closed', detail: 'the endpoint was closed' });
    this.#responses.clear();
  }

  #nextMessageId(): number {
    this.#messageId = (this.#messageId + 1) & 0xffff;
    return this.#messageId;
  }

  #byMessageId(messageId: number, bearer: Bearer): Outgoing | undefined {
    for (const exchange of this.#outgoing.values()) if (exchange.messageId === messageId && exchange.bearer === bearer) return exchange;
    return undefined;
  }

  #onEmptyAck(messageId: number, bearer: Bearer): void {
    const exchange = this.#byMessageId(messageId, bearer);
    if (exchange === undefined) return;
    // RFC 7252 §5.2.2: the request arrived; the response follows as its own message.
    if (exchange.timer !== null) clearTimeout(exchange.timer);
    exchange.timer = setTimeout(() => exchange.finish({ ok: false, reason: 'timeout', detail: `no separate response within ${this.#responseTimeoutMs} ms` }), this.#responseTimeoutMs);
  }

  #onResponse(response: CoapMessage, peer: CoapPeer): void {
    const exchange = this.#outgoing.get(bytesToHex(response.token));
    if (response.type === 'ACK') {
      // RFC 7252 §5.3.2: a piggybacked response matches on Message ID and token.
      if (exchange !== undefined && exchange.messageId === response.messageId) exchange.finish({ ok: true, response });
      return;
    }
    if (response.type === 'CON') this.#sendOwn(peer, exchange === undefined ? coapReset(response.messageId) : coapAck(response.messageId));
    exchange?.finish({ ok: true, response });
  }

  #onRequest(request: CoapMessage, peer: CoapPeer): void {
    if (request.type !== 'CON' && request.type !== 'NON') return; // an ACK or RST cannot carry a request (§4.2, §4.3)
    const now = Date.now();
    for (const [key, entry] of this.#responses) {
      if (now - entry.atMs <= this.#dedupLifetimeMs) break;
      this.#responses.delete(key);
    }
    const key = `${peer.key}#${request.messageId}`;
    const cached = this.#responses.get(key);
    if (cached !== undefined) {
      this.emit('duplicate', peer.bearer);
      void this.#send(peer, cached.bytes);
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
      ...(request.type === 'NON' ? { messageId: this.#nextMessageId() } : {}),
    };
    const bytes = encodeCoap(coapResponse(request, handled.code, handled.payload, extras));
    this.#responses.set(key, { bytes, atMs: now });
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
