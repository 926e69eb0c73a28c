/**
 * Which bearer carries a request from the core to a device, from its Binding (LwM2M 1.0 Table 8
 * "Binding Mode": U, UQ, S, SQ, US, UQS; 1.1 letters with the separate `Q` parameter) and from
 * when it was last heard over UDP. Pure.
 */
import { QUEUE_MODE_AWAKE_SEC } from '../lwm2m/coap-parameters.ts';
import { bindingOf, type DeviceRecord } from '../lwm2m/device-record.ts';

/** RFC 7252 §4.8.2 MAX_TRANSMIT_WAIT (93 s): LwM2M queue mode's default awake time after the last message. */
export const DEFAULT_AWAKE_WINDOW_MS = QUEUE_MODE_AWAKE_SEC * 1000;

/** Where a request for the device goes now. */
export type BearerChoice = 'udp' | 'sms' | 'hold';

/**
 * - U without queue mode: UDP (the device is reachable at its last address).
 * - U in queue mode: UDP while awake (heard over UDP within `awakeWindowMs`).
 * - Otherwise SMS when the MSISDN is known and the binding has S (S, SQ, US and UQS asleep) or
 *   the registration reached the gateway over SMS (LwM2M 1.0 §5.3.1: the server uses the
 *   registration's source for later interactions; an unmodified UDP client behind an SMS tunnel
 *   registers with `b=U` and is reachable only by SMS).
 * - Otherwise hold: the request waits until the device shows up (UQ asleep, or no address).
 */
export function chooseBearer(record: DeviceRecord, nowMs: number, awakeWindowMs = DEFAULT_AWAKE_WINDOW_MS): BearerChoice {
  const binding = bindingOf(record);
  const udpKnown = record.udpHost !== null && record.udpPort !== null;
  if (binding.udp && udpKnown) {
    if (!binding.queueMode) return 'udp';
    if (record.lastUdpActivityMs !== null && nowMs - record.lastUdpActivityMs <= awakeWindowMs) return 'udp';
  }
  if ((binding.sms || record.registeredOver === 'sms') && record.msisdn !== null) return 'sms';
  return 'hold';
}
