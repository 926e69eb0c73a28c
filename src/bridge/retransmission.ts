/**
 * Confirmable retransmission of the gateway's own messages to the core (RFC 7252 §4.2): the
 * first timeout is random in [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR], it doubles after each
 * retransmission, and after MAX_RETRANSMIT retransmissions the sender gives up.
 */
import { ACK_RANDOM_FACTOR, MAX_RETRANSMIT } from '../lwm2m/coap-parameters.ts';

/** Options of {@link retransmitConfirmable}. */
export interface RetransmitOptions {
  /** @defaultValue 2000 (RFC 7252 ACK_TIMEOUT) */
  readonly ackTimeoutMs?: number;
  /** @defaultValue 4 (RFC 7252 MAX_RETRANSMIT) */
  readonly maxRetransmit?: number;
  /** Called once when the last retransmission went unanswered. */
  readonly onGiveUp?: () => void;
}

/**
 * Sends now, then again on the RFC schedule until the returned stop function is called (the ACK
 * or RST arrived) or the retransmissions are used up.
 */
export function retransmitConfirmable(send: () => void, options: RetransmitOptions = {}): () => void {
  const maxRetransmit = options.maxRetransmit ?? MAX_RETRANSMIT;
  let timeoutMs = (options.ackTimeoutMs ?? 2000) * (1 + Math.random() * (ACK_RANDOM_FACTOR - 1));
  let retransmissions = 0;
  let timer: NodeJS.Timeout | null = null;
  const schedule = (): void => {
    timer = setTimeout(() => {
      if (retransmissions >= maxRetransmit) {
        timer = null;
        options.onGiveUp?.();
        return;
      }
      retransmissions += 1;
      send();
      timeoutMs *= 2;
      schedule();
    }, timeoutMs);
    timer.unref();
  };
  send();
  schedule();
  return () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
}
