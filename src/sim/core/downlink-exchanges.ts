/**
 * The lab core's outstanding downlink requests (server → client): Confirmable transmission with
 * the retransmission of RFC 7252 §4.2 and response matching of §5.3.2, like a real server's
 * CoAP stack (Californium's `ReliabilityLayer` plus its matcher):
 *
 * ```
 *  core                                   client
 *   |--- CON GET /3/0 MID m, token t ------->|   first transmission
 *   |    (after ackTimeout × [1, factor])    |
 *   |--- CON GET /3/0 MID m, token t ------->|   retransmission, timeout doubles
 *   |<-- ACK 2.05 MID m, token t ------------|   piggybacked response, or:
 *   |<-- ACK 0.00 MID m ---------------------|   empty ACK: retransmission stops,
 *   |<-- CON/NON 2.05 MID n, token t --------|   separate response (the caller ACKs a CON)
 * ```
 *
 * After MAX_RETRANSMIT retransmissions without an ACK, or when the overall response timeout
 * passes, the request fails with `timeout`; a Reset fails it with `reset`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { encodeCoap, isEmpty, type CoapMessage } from '../../lwm2m/index.ts';
import { bytesToHex } from '../../shared/hex.ts';
import { LabCoreRequestError } from './lab-core-errors.ts';

/** RFC 7252 §4.8 retransmission parameters, in milliseconds. */
export interface RetransmissionOptions {
  /** ACK_TIMEOUT: the first wait for an ACK is `ackTimeoutMs × [1, ackRandomFactor]`. */
  readonly ackTimeoutMs: number;
  /** ACK_RANDOM_FACTOR (≥ 1). */
  readonly ackRandomFactor: number;
  /** MAX_RETRANSMIT: retransmissions before giving up (the wait doubles after each). */
  readonly maxRetransmit: number;
}

/** A UDP peer. */
export interface Peer {
  readonly address: string;
  readonly port: number;
}

/** Counters of downlink traffic since start. */
export interface DownlinkStats {
  /** Requests sent (first transmissions). */
  requestsSent: number;
  /** Retransmissions sent (the same bytes, same Message ID). */
  retransmissions: number;
  /** Empty ACKs that announced a separate response. */
  emptyAcks: number;
  /** Responses piggybacked on an ACK. */
  piggybackedResponses: number;
  /** Separate responses (CON or NON). */
  separateResponses: number;
  /** Requests that failed with `timeout`. */
  timeouts: number;
  /** Requests the client rejected with a Reset. */
  resets: number;
}

/** Extra facts put into a failure's details (endpoint, path). */
export type ExchangeContext = Readonly<Record<string, unknown>>;

interface Exchange {
  readonly peer: Peer;
  readonly message: CoapMessage;
  readonly bytes: Uint8Array;
  readonly context: ExchangeContext;
  readonly startedAtMs: number;
  retransmissions: number;
  retransmitTimer: NodeJS.Timeout | null;
  deadlineTimer: NodeJS.Timeout | null;
  readonly resolve: (response: CoapMessage) => void;
  readonly reject: (error: LabCoreRequestError) => void;
}

/** Length of the tokens the lab core generates (RFC 7252 §5.3.1 allows 0..8 bytes). */
export const TOKEN_LENGTH = 4;

/**
 * Outstanding Confirmable requests. `send` puts bytes on the wire (errors are the sender's to
 * swallow: a lost datagram is what retransmission is for). The owner calls {@link close} on
 * shutdown, which fails every outstanding request with `stopped` and clears the timers.
 */
export class DownlinkExchanges {
  readonly stats: DownlinkStats = {
    requestsSent: 0, retransmissions: 0, emptyAcks: 0, piggybackedResponses: 0, separateResponses: 0, timeouts: 0, resets: 0,
  };
  private readonly byMessageId = new Map<string, Exchange>();
  private readonly byToken = new Map<string, Exchange>();
  private messageIdCounter = randomInt(0x10000);

  constructor(
    private readonly options: RetransmissionOptions,
    private readonly sendBytes: (bytes: Uint8Array, peer: Peer) => void,
    private readonly random: () => number = Math.random,
  ) {}

  /** Requests waiting for a response. */
  get outstanding(): number {
    return this.byToken.size;
  }

  /** The next Message ID (a counter from a random start, RFC 7252 §4.4), for requests and NON responses. */
  newMessageId(): number {
    this.messageIdCounter = (this.messageIdCounter + 1) & 0xffff;
    return this.messageIdCounter;
  }

  /** A random {@link TOKEN_LENGTH}-byte token no outstanding request to `peer` uses (§5.3.1). */
  newToken(peer: Peer): Uint8Array {
    for (;;) {
      const token = Uint8Array.from(randomBytes(TOKEN_LENGTH));
      if (!this.byToken.has(tokenKey(peer, token))) return token;
    }
  }

  /**
   * Sends `message` (a CON request with a Message ID and token from {@link newMessageId} and
   * {@link newToken}) to `peer` and resolves with the response message (any response code).
   * Rejects with {@link LabCoreRequestError} `timeout` (no ACK after the last retransmission, or
   * no response within `responseTimeoutMs` of the first transmission), `reset`, or `stopped`.
   */
  send(peer: Peer, message: CoapMessage, responseTimeoutMs: number, context: ExchangeContext): Promise<CoapMessage> {
    const bytes = encodeCoap(message);
    return new Promise<CoapMessage>((resolve, reject) => {
      const exchange: Exchange = {
        peer, message, bytes, context, startedAtMs: Date.now(), retransmissions: 0, retransmitTimer: null, deadlineTimer: null, resolve, reject,
      };
      this.byMessageId.set(messageIdKey(peer, message.messageId), exchange);
      this.byToken.set(tokenKey(peer, message.token), exchange);
      exchange.deadlineTimer = setTimeout(
        () => this.fail(exchange, 'timeout', `no response within ${responseTimeoutMs} ms`),
        responseTimeoutMs,
      );
      const { ackTimeoutMs, ackRandomFactor } = this.options;
      this.scheduleRetransmission(exchange, ackTimeoutMs * (1 + this.random() * (ackRandomFactor - 1)));
      this.stats.requestsSent += 1;
      this.sendBytes(bytes, peer);
    });
  }

  /**
   * Offers an incoming ACK, RST, or CON/NON response from `peer` to the outstanding requests.
   * Returns true when it belonged to one (an empty ACK stops retransmission; a response or RST
   * settles the request), false otherwise (the caller rejects or ignores it). An ACK or RST
   * matches by Message ID; a piggybacked response must also carry the request's token; a
   * separate response matches by token (§5.3.2).
   */
  accept(message: CoapMessage, peer: Peer): boolean {
    if (message.type === 'ACK' || message.type === 'RST') {
      const exchange = this.byMessageId.get(messageIdKey(peer, message.messageId));
      if (exchange === undefined) return false;
      if (message.type === 'RST') {
        this.stats.resets += 1;
        this.fail(exchange, 'reset', 'the client answered with a Reset (RFC 7252 §4.2)');
        return true;
      }
      if (isEmpty(message)) {
        if (exchange.retransmitTimer !== null) this.stats.emptyAcks += 1;
        this.stopRetransmission(exchange);
        return true;
      }
      if (bytesToHex(message.token) !== bytesToHex(exchange.message.token)) return false;
      this.stats.piggybackedResponses += 1;
      this.complete(exchange, message);
      return true;
    }
    const exchange = this.byToken.get(tokenKey(peer, message.token));
    if (exchange === undefined) return false;
    this.stats.separateResponses += 1;
    this.complete(exchange, message);
    return true;
  }

  /** Fails every outstanding request with `stopped` and clears all timers. */
  close(): void {
    for (const exchange of [...this.byToken.values()]) this.fail(exchange, 'stopped', 'the lab core stopped');
  }

  private scheduleRetransmission(exchange: Exchange, delayMs: number): void {
    exchange.retransmitTimer = setTimeout(() => {
      if (exchange.retransmissions >= this.options.maxRetransmit) {
        this.fail(exchange, 'timeout', `no acknowledgement after ${exchange.retransmissions} retransmission(s)`);
        return;
      }
      exchange.retransmissions += 1;
      this.stats.retransmissions += 1;
      this.sendBytes(exchange.bytes, exchange.peer);
      this.scheduleRetransmission(exchange, delayMs * 2);
    }, delayMs);
  }

  private stopRetransmission(exchange: Exchange): void {
    if (exchange.retransmitTimer !== null) clearTimeout(exchange.retransmitTimer);
    exchange.retransmitTimer = null;
  }

  private settle(exchange: Exchange): void {
    this.stopRetransmission(exchange);
    if (exchange.deadlineTimer !== null) clearTimeout(exchange.deadlineTimer);
    exchange.deadlineTimer = null;
    this.byMessageId.delete(messageIdKey(exchange.peer, exchange.message.messageId));
    this.byToken.delete(tokenKey(exchange.peer, exchange.message.token));
  }

  private complete(exchange: Exchange, response: CoapMessage): void {
    this.settle(exchange);
    exchange.resolve(response);
  }

  private fail(exchange: Exchange, failure: 'timeout' | 'reset' | 'stopped', message: string): void {
    this.settle(exchange);
    if (failure === 'timeout') this.stats.timeouts += 1;
    exchange.reject(new LabCoreRequestError(failure, message, {
      ...exchange.context,
      retransmissions: exchange.retransmissions,
      elapsedMs: Date.now() - exchange.startedAtMs,
    }));
  }
}

function messageIdKey(peer: Peer, messageId: number): string {
  return `${peer.address}|${peer.port}|${messageId}`;
}

function tokenKey(peer: Peer, token: Uint8Array): string {
  return `${peer.address}|${peer.port}|${bytesToHex(token)}`;
}
