/**
 * The lab core's outstanding downlink requests (server → client), on the shared CoAP message
 * layer (`CoapExchangeStore` in src/lwm2m: RFC 7252 §4.2 retransmission, §5.3.2 matching). This
 * file only keys exchanges by UDP peer, counts, and turns failures into {@link LabCoreRequestError}.
 *
 * After MAX_RETRANSMIT retransmissions without an ACK, or when the overall response timeout
 * passes, the request fails with `timeout`; a Reset fails it with `reset`.
 */
import { CoapExchangeStore, EXCHANGE_TOKEN_BYTES, systemCoapClock, type CoapClock, type CoapMessage } from '../../lwm2m/index.ts';
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
  /** ACKs, RSTs and responses that matched no outstanding request (answers to someone else's request). */
  unmatched: number;
}

/** Extra facts put into a failure's details (endpoint, path). */
export type ExchangeContext = Readonly<Record<string, unknown>>;

/** Length of the tokens the lab core generates (RFC 7252 §5.3.1 allows 0..8 bytes). */
export const TOKEN_LENGTH = EXCHANGE_TOKEN_BYTES;

/**
 * Outstanding Confirmable requests. `send` puts bytes on the wire (errors are the sender's to
 * swallow: a lost datagram is what retransmission is for). The owner calls {@link close} on
 * shutdown, which fails every outstanding request with `stopped` and clears the timers.
 */
export class DownlinkExchanges {
  readonly stats: DownlinkStats = {
    requestsSent: 0, retransmissions: 0, emptyAcks: 0, piggybackedResponses: 0, separateResponses: 0, timeouts: 0, resets: 0, unmatched: 0,
  };
  private readonly store: CoapExchangeStore<'stopped'>;

  constructor(
    options: RetransmissionOptions,
    private readonly sendBytes: (bytes: Uint8Array, peer: Peer) => void,
    random: () => number = Math.random,
    clock: CoapClock = systemCoapClock,
  ) {
    const { ackTimeoutMs, ackRandomFactor, maxRetransmit } = options;
    this.store = new CoapExchangeStore(clock, { ackTimeoutMs, ackRandomFactor, maxRetransmit }, random);
  }

  /** Requests waiting for a response. */
  get outstanding(): number {
    return this.store.size;
  }

  /** The next Message ID (a counter from a random start, RFC 7252 §4.4), for requests and NON responses. */
  newMessageId(): number {
    return this.store.newMessageId();
  }

  /** A random {@link TOKEN_LENGTH}-byte token no outstanding request to `peer` uses (§5.3.1). */
  newToken(peer: Peer): Uint8Array {
    return this.store.newToken(peerKey(peer));
  }

  /**
   * Sends `message` (a CON request with a Message ID and token from {@link newMessageId} and
   * {@link newToken}) to `peer` and resolves with the response message (any response code).
   * Rejects with {@link LabCoreRequestError} `timeout` (no ACK after the last retransmission, or
   * no response within `responseTimeoutMs` of the first transmission), `reset`, or `stopped`.
   */
  async send(peer: Peer, message: CoapMessage, responseTimeoutMs: number, context: ExchangeContext): Promise<CoapMessage> {
    this.stats.requestsSent += 1;
    const { outcome } = this.store.request({
      matchKey: peerKey(peer), message, retransmit: true, responseTimeoutMs,
      send: (bytes) => this.sendBytes(bytes, peer),
      onRetransmit: () => { this.stats.retransmissions += 1; },
    });
    const result = await outcome;
    if (result.ok) return result.response;
    if (result.reason === 'timeout') this.stats.timeouts += 1;
    throw new LabCoreRequestError(result.reason, result.reason === 'reset' ? 'the client answered with a Reset (RFC 7252 §4.2)' : result.detail, {
      ...context,
      retransmissions: result.retransmissions,
      elapsedMs: result.elapsedMs,
    });
  }

  /**
   * Offers an incoming ACK, RST, or CON/NON response from `peer` to the outstanding requests.
   * Returns true when it belonged to one (an empty ACK stops retransmission; a response or RST
   * settles the request), false otherwise (the caller rejects or ignores it).
   */
  accept(message: CoapMessage, peer: Peer): boolean {
    const acceptedAs = this.store.accept(peerKey(peer), message);
    if (acceptedAs === 'reset') this.stats.resets += 1;
    else if (acceptedAs === 'empty-ack') this.stats.emptyAcks += 1;
    else if (acceptedAs === 'piggybacked') this.stats.piggybackedResponses += 1;
    else if (acceptedAs === 'separate') this.stats.separateResponses += 1;
    else this.stats.unmatched += 1;
    return acceptedAs !== null;
  }

  /** Fails every outstanding request with `stopped` and clears all timers. */
  close(): void {
    this.store.cancelAll('stopped', 'the lab core stopped');
  }
}

function peerKey(peer: Peer): string {
  return `${peer.address}|${peer.port}`;
}
