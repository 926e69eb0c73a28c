/**
 * Outstanding Confirmable requests of one CoAP node and the matching of what comes back
 * (RFC 7252 §4.2, §5.3.2), after Californium's exchange store and matcher:
 *
 * ```
 *  node                                    peer
 *   |--- CON request MID m, token t -------->|   first transmission, then retransmissions
 *   |<-- ACK response MID m, token t --------|   piggybacked: matched by MID and token
 *   |<-- ACK 0.00 MID m ---------------------|   empty ACK: retransmission stops, then
 *   |<-- CON/NON response MID n, token t ----|   separate response: matched by token
 *   |<-- RST MID m --------------------------|   reset: the request fails
 * ```
 *
 * Keys are (match key, MID) and (match key, token); the caller chooses the match key (a peer
 * address, or a bearer when answers may come from another address of the same peer). Every
 * exchange leaves both indexes when it settles. Owns no socket: each request carries its `send`.
 */
import { randomBytes } from 'node:crypto';
import { bytesToHex } from '../shared/hex.ts';
import type { CoapClock, CoapTimer } from './coap-clock.ts';
import { encodeCoap, isEmpty, type CoapMessage } from './coap-message.ts';
import { DEFAULT_CONFIRMABLE_PARAMETERS, transmitConfirmable, type ConfirmableParameters, type ConfirmableTransmission } from './coap-retransmission.ts';

/** How an exchange ended without a response: `timeout`, `reset`, or a reason given to `cancel`. */
export type ExchangeFailure<R extends string> = 'timeout' | 'reset' | R;

/** The outcome of a request; the promise of {@link CoapExchangeStore.request} never rejects. */
export type ExchangeOutcome<R extends string> =
  | { readonly ok: true; readonly response: CoapMessage; readonly retransmissions: number; readonly elapsedMs: number }
  | { readonly ok: false; readonly reason: ExchangeFailure<R>; readonly detail: string; readonly retransmissions: number; readonly elapsedMs: number };

/** One request for {@link CoapExchangeStore.request}. */
export interface OutgoingExchange {
  /** Who answers (see the file comment). */
  readonly matchKey: string;
  /** A CON request with its Message ID and token (from {@link CoapExchangeStore.newMessageId} / `newToken`). */
  readonly message: CoapMessage;
  /** Puts the encoded message on the wire (first transmission and retransmissions). */
  readonly send: (bytes: Uint8Array) => void;
  /** Retransmit on the RFC 7252 §4.2 schedule (false over SMS: sent once). */
  readonly retransmit: boolean;
  /** Fail with `timeout` this long after the first transmission; null for no overall deadline. */
  readonly responseTimeoutMs: number | null;
  /** When set, an empty ACK (re)starts the deadline at this many ms (waiting for the separate response). */
  readonly separateResponseTimeoutMs?: number;
  /** Called before each retransmission. */
  readonly onRetransmit?: () => void;
}

/**
 * How {@link CoapExchangeStore.accept} used a message; `repeated-empty-ack` is a second empty ACK
 * of an exchange already acknowledged (no effect); null when it matched no exchange.
 */
export type AcceptedAs = 'piggybacked' | 'empty-ack' | 'repeated-empty-ack' | 'separate' | 'reset' | null;

/** A request in flight. */
export interface ExchangeHandle<R extends string> {
  readonly outcome: Promise<ExchangeOutcome<R>>;
  /** Ends the exchange with `reason` (no effect once settled). */
  cancel(reason: R, detail: string): void;
}

interface Exchange<R extends string> {
  readonly matchKey: string;
  readonly message: CoapMessage;
  readonly startedAtMs: number;
  transmission: ConfirmableTransmission | null;
  deadline: CoapTimer | null;
  acknowledged: boolean;
  readonly settle: (outcome: { ok: true; response: CoapMessage } | { ok: false; reason: ExchangeFailure<R>; detail: string }) => void;
  readonly separateResponseTimeoutMs: number | undefined;
}

/** Token length of the requests this store creates (RFC 7252 §5.3.1 allows 0..8 bytes). */
export const EXCHANGE_TOKEN_BYTES = 4;

/**
 * The outstanding requests of one node. `R` names the reasons the owner may cancel with (e.g.
 * `'closed'`). Contract: each {@link request} settles exactly once; after it settled nothing of it
 * remains (no timer, no index entry).
 */
export class CoapExchangeStore<R extends string> {
  readonly #byMessageId = new Map<string, Exchange<R>>();
  readonly #byToken = new Map<string, Exchange<R>>();
  #messageId: number;

  constructor(
    private readonly clock: CoapClock,
    private readonly parameters: ConfirmableParameters = DEFAULT_CONFIRMABLE_PARAMETERS,
    private readonly random: () => number = Math.random,
  ) {
    this.#messageId = Math.floor(random() * 0x10000);
  }

  /** Requests waiting for their response. */
  get size(): number {
    return this.#byToken.size;
  }

  /** The next Message ID (a counter from a random start, RFC 7252 §4.4), for requests and NON responses. */
  newMessageId(): number {
    this.#messageId = (this.#messageId + 1) & 0xffff;
    return this.#messageId;
  }

  /**
   * A random {@link EXCHANGE_TOKEN_BYTES}-byte token (from node:crypto: RFC 7252 §5.3.1 asks for at
   * least 32 random bits on unsecured transports) that no outstanding request to `matchKey` uses.
   */
  newToken(matchKey: string): Uint8Array {
    for (;;) {
      const token = Uint8Array.from(randomBytes(EXCHANGE_TOKEN_BYTES));
      if (!this.#byToken.has(tokenKey(matchKey, token))) return token;
    }
  }

  /** Sends `init.message` now and tracks it until a response, RST, timeout or cancel. */
  request(init: OutgoingExchange): ExchangeHandle<R> {
    const bytes = encodeCoap(init.message);
    const startedAtMs = this.clock.nowMs();
    let exchange!: Exchange<R>;
    const outcome = new Promise<ExchangeOutcome<R>>((resolve) => {
      exchange = {
        matchKey: init.matchKey, message: init.message, startedAtMs, transmission: null, deadline: null, acknowledged: false,
        separateResponseTimeoutMs: init.separateResponseTimeoutMs,
        settle: (result) => {
          if (this.#byToken.get(tokenKey(exchange.matchKey, exchange.message.token)) !== exchange) return;
          const retransmissions = exchange.transmission?.retransmissions ?? 0;
          exchange.transmission?.stop();
          exchange.deadline?.cancel();
          this.#byMessageId.delete(messageIdKey(exchange.matchKey, exchange.message.messageId));
          this.#byToken.delete(tokenKey(exchange.matchKey, exchange.message.token));
          resolve({ ...result, retransmissions, elapsedMs: this.clock.nowMs() - startedAtMs });
        },
      };
    });
    this.#byMessageId.set(messageIdKey(init.matchKey, init.message.messageId), exchange);
    this.#byToken.set(tokenKey(init.matchKey, init.message.token), exchange);
    if (init.responseTimeoutMs !== null) this.#startDeadline(exchange, init.responseTimeoutMs, 'no response');
    if (init.retransmit) {
      exchange.transmission = transmitConfirmable({
        clock: this.clock, parameters: this.parameters, random: this.random,
        send: () => init.send(bytes),
        onRetransmit: () => init.onRetransmit?.(),
        onGiveUp: (n) => exchange.settle({ ok: false, reason: 'timeout', detail: `no acknowledgement after ${n} retransmission(s)` }),
      });
    } else {
      init.send(bytes);
    }
    return { outcome, cancel: (reason, detail) => exchange.settle({ ok: false, reason, detail }) };
  }

  /**
   * Offers an incoming ACK, RST or CON/NON response from `matchKey` to the outstanding requests
   * (RFC 7252 §5.3.2): an ACK or RST matches by Message ID, a piggybacked response must also
   * carry the request's token, a separate response matches by token. A CON separate response is
   * the caller's to acknowledge.
   */
  accept(matchKey: string, message: CoapMessage): AcceptedAs {
    if (message.type === 'ACK' || message.type === 'RST') {
      const exchange = this.#byMessageId.get(messageIdKey(matchKey, message.messageId));
      if (exchange === undefined) return null;
      if (message.type === 'RST') {
        exchange.settle({ ok: false, reason: 'reset', detail: 'the peer answered with a Reset (RFC 7252 §4.2)' });
        return 'reset';
      }
      if (isEmpty(message)) {
        if (exchange.acknowledged) return 'repeated-empty-ack';
        exchange.acknowledged = true;
        // RFC 7252 §5.2.2: the request arrived; the response follows as its own message.
        exchange.transmission?.stop();
        if (exchange.separateResponseTimeoutMs !== undefined) this.#startDeadline(exchange, exchange.separateResponseTimeoutMs, 'no separate response');
        return 'empty-ack';
      }
      if (bytesToHex(message.token) !== bytesToHex(exchange.message.token)) return null;
      exchange.settle({ ok: true, response: message });
      return 'piggybacked';
    }
    const exchange = this.#byToken.get(tokenKey(matchKey, message.token));
    if (exchange === undefined) return null;
    exchange.settle({ ok: true, response: message });
    return 'separate';
  }

  /** Ends every outstanding request with `reason`. */
  cancelAll(reason: R, detail: string): void {
    for (const exchange of [...this.#byToken.values()]) exchange.settle({ ok: false, reason, detail });
  }

  #startDeadline(exchange: Exchange<R>, timeoutMs: number, what: string): void {
    exchange.deadline?.cancel();
    exchange.deadline = this.clock.setTimer(timeoutMs, () => exchange.settle({ ok: false, reason: 'timeout', detail: `${what} within ${timeoutMs} ms` }));
  }
}

function messageIdKey(matchKey: string, messageId: number): string {
  return `${matchKey}|${messageId}`;
}

function tokenKey(matchKey: string, token: Uint8Array): string {
  return `${matchKey}|${bytesToHex(token)}`;
}
