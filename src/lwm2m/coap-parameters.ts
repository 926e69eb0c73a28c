/**
 * CoAP transmission parameters (RFC 7252 §4.8) and the times derived from them (§4.8.2), in
 * seconds. Pure constants plus {@link deriveCoapTimesSec} for other base values (node-coap
 * `parameters.ts` pattern, without the mutable singleton).
 *
 * Over SMS the LwM2M transport binding disables CoAP retransmission (LwM2M 1.1 Transport,
 * "SMS Binding": "CoAP retransmission is disabled for this binding"); these values still govern
 * the UDP side and the LwM2M queue-mode awake window.
 */

/** RFC 7252 §4.8: initial response timeout of a Confirmable message, seconds. */
export const ACK_TIMEOUT_SEC = 2;
/** RFC 7252 §4.8: the initial timeout is random in [ACK_TIMEOUT, ACK_TIMEOUT × this]. */
export const ACK_RANDOM_FACTOR = 1.5;
/** RFC 7252 §4.8: retransmissions of a Confirmable message before giving up. */
export const MAX_RETRANSMIT = 4;
/** RFC 7252 §4.7: outstanding interactions per peer. LwM2M queue mode sends one at a time too. */
export const NSTART = 1;
/** RFC 7252 §8.2: time a server may wait before answering a multicast request, seconds. */
export const DEFAULT_LEISURE_SEC = 5;
/** RFC 7252 §4.7: average data rate to a peer that does not respond, bytes per second. */
export const PROBING_RATE_BYTES_PER_SEC = 1;
/** RFC 7252 §4.8.2: maximum time a datagram is expected to take to reach its peer, seconds. */
export const MAX_LATENCY_SEC = 100;

/** Base values of {@link deriveCoapTimesSec}. */
export interface CoapTransmissionParameters {
  readonly ackTimeoutSec: number;
  readonly ackRandomFactor: number;
  readonly maxRetransmit: number;
  readonly maxLatencySec: number;
}

/** RFC 7252 §4.8.2 derived times, seconds. */
export interface CoapDerivedTimesSec {
  /** First transmission to last retransmission of a CON: ACK_TIMEOUT × (2^MAX_RETRANSMIT − 1) × ACK_RANDOM_FACTOR. */
  readonly maxTransmitSpanSec: number;
  /** First transmission to giving up on an ACK: ACK_TIMEOUT × (2^(MAX_RETRANSMIT + 1) − 1) × ACK_RANDOM_FACTOR. */
  readonly maxTransmitWaitSec: number;
  /** Time a node takes to turn a CON into an ACK: ACK_TIMEOUT. */
  readonly processingDelaySec: number;
  /** Maximum round-trip time: 2 × MAX_LATENCY + PROCESSING_DELAY. */
  readonly maxRttSec: number;
  /** Lifetime of a CON exchange (and of its Message ID): MAX_TRANSMIT_SPAN + 2 × MAX_LATENCY + PROCESSING_DELAY. */
  readonly exchangeLifetimeSec: number;
  /** Lifetime of a NON's Message ID: MAX_TRANSMIT_SPAN + MAX_LATENCY. */
  readonly nonLifetimeSec: number;
}

/** The defaults of RFC 7252 §4.8 / §4.8.2. */
export const DEFAULT_COAP_TRANSMISSION_PARAMETERS: CoapTransmissionParameters = Object.freeze({
  ackTimeoutSec: ACK_TIMEOUT_SEC,
  ackRandomFactor: ACK_RANDOM_FACTOR,
  maxRetransmit: MAX_RETRANSMIT,
  maxLatencySec: MAX_LATENCY_SEC,
});

/**
 * The RFC 7252 §4.8.2 times for `parameters` (frozen). With the defaults: span 45 s, wait 93 s,
 * processing delay 2 s, MAX_RTT 202 s, EXCHANGE_LIFETIME 247 s, NON_LIFETIME 145 s. No
 * validation: callers pass values from the validated configuration.
 */
export function deriveCoapTimesSec(parameters: CoapTransmissionParameters = DEFAULT_COAP_TRANSMISSION_PARAMETERS): CoapDerivedTimesSec {
  const { ackTimeoutSec, ackRandomFactor, maxRetransmit, maxLatencySec } = parameters;
  const maxTransmitSpanSec = ackTimeoutSec * (2 ** maxRetransmit - 1) * ackRandomFactor;
  const maxTransmitWaitSec = ackTimeoutSec * (2 ** (maxRetransmit + 1) - 1) * ackRandomFactor;
  const processingDelaySec = ackTimeoutSec;
  return Object.freeze({
    maxTransmitSpanSec,
    maxTransmitWaitSec,
    processingDelaySec,
    maxRttSec: 2 * maxLatencySec + processingDelaySec,
    exchangeLifetimeSec: maxTransmitSpanSec + 2 * maxLatencySec + processingDelaySec,
    nonLifetimeSec: maxTransmitSpanSec + maxLatencySec,
  });
}

const DEFAULT_TIMES = deriveCoapTimesSec();

/** RFC 7252 §4.8.2 MAX_TRANSMIT_SPAN with the defaults: 2 × 15 × 1.5 = 45 s. */
export const MAX_TRANSMIT_SPAN_SEC = DEFAULT_TIMES.maxTransmitSpanSec;
/** RFC 7252 §4.8.2 MAX_TRANSMIT_WAIT with the defaults: 2 × 31 × 1.5 = 93 s. */
export const MAX_TRANSMIT_WAIT_SEC = DEFAULT_TIMES.maxTransmitWaitSec;
/** RFC 7252 §4.8.2 PROCESSING_DELAY with the defaults: 2 s. */
export const PROCESSING_DELAY_SEC = DEFAULT_TIMES.processingDelaySec;
/** RFC 7252 §4.8.2 MAX_RTT with the defaults: 2 × 100 + 2 = 202 s. */
export const MAX_RTT_SEC = DEFAULT_TIMES.maxRttSec;
/** RFC 7252 §4.8.2 EXCHANGE_LIFETIME with the defaults: 45 + 200 + 2 = 247 s. */
export const EXCHANGE_LIFETIME_SEC = DEFAULT_TIMES.exchangeLifetimeSec;
/** RFC 7252 §4.8.2 NON_LIFETIME with the defaults: 45 + 100 = 145 s. */
export const NON_LIFETIME_SEC = DEFAULT_TIMES.nonLifetimeSec;

/**
 * Default time an LwM2M client in queue mode stays awake after sending (LwM2M 1.1 Transport, "Queue
 * Mode": the client SHOULD stay awake at least MAX_TRANSMIT_WAIT), the 93 s that Leshan and Zephyr also use.
 */
export const QUEUE_MODE_AWAKE_SEC = MAX_TRANSMIT_WAIT_SEC;
