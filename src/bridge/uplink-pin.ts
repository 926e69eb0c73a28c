/**
 * The core-facing Message ID of an inbox entry across a crash (RFC 7252 §4.5): the ID an earlier
 * attempt stored through the entry's pin, so the core takes the message as a retransmission, or
 * a fresh one, stored through the pin before the datagram may leave.
 */
import type { DeviceExchanges } from './exchanges.ts';
import type { UplinkIdPin } from './relay-types.ts';

/** The pin of an inbox entry could not store its Message ID: the entry must be read again, not counted as relayed. */
export class PinFailedError extends Error {
  constructor(override readonly cause: unknown) {
    super(`could not keep the uplink message ID: ${String(cause)}`);
  }
}

/**
 * The Message ID towards the core for the device's message `deviceMessageId` read from an inbox
 * entry: the pinned one (recorded in `exchanges`, so retransmissions and the core's answer map as
 * for any uplink), or a fresh one from `exchanges`, kept through the pin first. Rejects with
 * {@link PinFailedError} when the pin cannot keep it: then nothing may be sent.
 */
export async function pinnedUplinkId(exchanges: DeviceExchanges, pin: UplinkIdPin, deviceMessageId: number, confirmable: boolean, bearer: 'sms' | 'udp', nowMs: number): Promise<number> {
  if (pin.messageId !== null) {
    exchanges.pinUplinkId(deviceMessageId, pin.messageId, confirmable, bearer, nowMs);
    return pin.messageId;
  }
  const messageId = exchanges.uplinkId(deviceMessageId, confirmable, bearer, nowMs);
  try {
    await pin.keep(messageId);
  } catch (error) {
    throw new PinFailedError(error);
  }
  return messageId;
}
