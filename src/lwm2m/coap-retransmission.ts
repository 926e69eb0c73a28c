/**
 * Confirmable retransmission (RFC 7252 §4.2, parameters of §4.8): the first wait for an ACK is
 * random in [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR]; each retransmission doubles it; after
 * MAX_RETRANSMIT retransmissions and one last wait the sender gives up. With the defaults the
 * last retransmission leaves at most MAX_TRANSMIT_SPAN (45 s) after the first transmission and
 * the sender gives up at most MAX_TRANSMIT_WAIT (93 s) after it (§4.8.2).
 *
 * The schedule is pure ({@link retransmissionWaitsMs}); {@link transmitConfirmable} runs it on an
 * injected {@link CoapClock} and owns no socket: it asks its `send` callback to put the bytes out.
 */
import type { CoapClock, CoapTimer } from './coap-clock.ts';
import { ACK_RANDOM_FACTOR, ACK_TIMEOUT_SEC, MAX_RETRANSMIT } from './coap-parameters.ts';

/** RFC 7252 §4.8 parameters of one sender, in milliseconds. */
export interface ConfirmableParameters {
  /** ACK_TIMEOUT. @defaultValue 2000 */
  readonly ackTimeoutMs: number;
  /** ACK_RANDOM_FACTOR (≥ 1). @defaultValue 1.5 */
  readonly ackRandomFactor: number;
  /** MAX_RETRANSMIT. @defaultValue 4 */
  readonly maxRetransmit: number;
}

/** The defaults of RFC 7252 §4.8, in milliseconds. */
export const DEFAULT_CONFIRMABLE_PARAMETERS: ConfirmableParameters = Object.freeze({
  ackTimeoutMs: ACK_TIMEOUT_SEC * 1000,
  ackRandomFactor: ACK_RANDOM_FACTOR,
  maxRetransmit: MAX_RETRANSMIT,
});

/**
 * RFC 7252 §4.2: the initial timeout, `ackTimeoutMs × (1 + random × (ackRandomFactor − 1))`, for
 * `random` in [0, 1) (so in [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR)).
 */
export function initialAckTimeoutMs(parameters: ConfirmableParameters, random: number): number {
  return parameters.ackTimeoutMs * (1 + random * (parameters.ackRandomFactor - 1));
}

/**
 * The waits after the first transmission and after each retransmission: `maxRetransmit + 1`
 * values, `initialMs × 2^i`. Wait i ends with retransmission i + 1, the last one with giving up.
 */
export function retransmissionWaitsMs(initialMs: number, maxRetransmit: number): number[] {
  return Array.from({ length: maxRetransmit + 1 }, (_, i) => initialMs * 2 ** i);
}

/** Options of {@link transmitConfirmable}. */
export interface ConfirmableTransmissionOptions {
  readonly clock: CoapClock;
  /** Puts the message on the wire; called for the first transmission and each retransmission. */
  readonly send: () => void;
  /** @defaultValue {@link DEFAULT_CONFIRMABLE_PARAMETERS} */
  readonly parameters?: ConfirmableParameters;
  /** Uniform in [0, 1). @defaultValue Math.random */
  readonly random?: () => number;
  /** Called before each retransmission (not the first transmission), with its number from 1. */
  readonly onRetransmit?: (retransmission: number) => void;
  /** Called once when the last wait ended without {@link ConfirmableTransmission.stop}. */
  readonly onGiveUp?: (retransmissions: number) => void;
}

/** A running confirmable transmission. */
export interface ConfirmableTransmission {
  /** Retransmissions sent so far. */
  readonly retransmissions: number;
  /** True until stopped or given up. */
  readonly active: boolean;
  /** The ACK or RST arrived, or the exchange ended: no more sends, no give-up. Idempotent. */
  stop(): void;
}

/** Sends now, then on the RFC 7252 §4.2 schedule until stopped or given up. */
export function transmitConfirmable(options: ConfirmableTransmissionOptions): ConfirmableTransmission {
  const parameters = options.parameters ?? DEFAULT_CONFIRMABLE_PARAMETERS;
  let waitMs = initialAckTimeoutMs(parameters, (options.random ?? Math.random)());
  let retransmissions = 0;
  let timer: CoapTimer | null = null;
  let stopped = false;
  const schedule = (): void => {
    timer = options.clock.setTimer(waitMs, () => {
      timer = null;
      if (retransmissions >= parameters.maxRetransmit) {
        options.onGiveUp?.(retransmissions);
        return;
      }
      retransmissions += 1;
      options.onRetransmit?.(retransmissions);
      options.send();
      waitMs *= 2;
      if (!stopped) schedule(); // `send` or `onRetransmit` may have stopped it
    });
  };
  const handle: ConfirmableTransmission = {
    get retransmissions() { return retransmissions; },
    get active() { return !stopped && timer !== null; },
    stop() {
      stopped = true;
      timer?.cancel();
      timer = null;
    },
  };
  options.send();
  if (!stopped) schedule();
  return handle;
}
