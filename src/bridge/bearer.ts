/**
 * Which bearer carries a request from the core to a device, from its Binding (LwM2M 1.0 Table 8
 * "Binding Mode": U, UQ, S, SQ, US, UQS; 1.1 letters with the separate `Q` parameter) and from
 * its presence (awake over UDP now or not: `src/lwm2m/presence.ts`). Pure.
 */
import { bindingOf, type DeviceRecord } from '../lwm2m/device-record.ts';

/** Where a request for the device goes now. */
export type BearerChoice = 'udp' | 'sms' | 'hold';

/**
 * - U without queue mode: UDP (the device is reachable at its last address).
 * - U in queue mode: UDP while `awakeOverUdp` (heard over UDP within the awake window, as the
 *   presence says).
 * - Otherwise SMS when the MSISDN is known and the binding has S (S, SQ, US and UQS asleep) or
 *   the registration reached the gateway over SMS (LwM2M 1.0 §5.3.1: the server uses the
 *   registration's source for later interactions; an unmodified UDP client behind an SMS tunnel
 *   registers with `b=U` and is reachable only by SMS).
 * - Otherwise hold: the request waits until the device shows up (UQ asleep, or no address).
 *
 * `asleep` (the device group's `asleepRequests`): `hold` holds the requests for a queue-mode
 * device asleep over UDP even when SMS could carry them (UQS), so that one wake-up trigger opens
 * the UDP connection for all of them, instead of one SMS per request and per answer. A device
 * whose last message came by SMS still gets SMS. @defaultValue 'sms'
 */
export function chooseBearer(record: DeviceRecord, awakeOverUdp: boolean, asleep: 'sms' | 'hold' = 'sms'): BearerChoice {
  const binding = bindingOf(record);
  const udpKnown = record.udpHost !== null && record.udpPort !== null;
  if (binding.udp && udpKnown) {
    if (!binding.queueMode) return 'udp';
    if (awakeOverUdp) return 'udp';
    if (asleep === 'hold' && record.lastBearer === 'udp') return 'hold';
  }
  if ((binding.sms || record.registeredOver === 'sms') && record.msisdn !== null) return 'sms';
  return 'hold';
}
