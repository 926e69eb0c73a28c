/**
 * Counters and events of the relay.
 */

/** What the relay counted since start (for metrics, the demo and benchmarks). */
export interface RelayCounters {
  uplinkSms: number;
  uplinkUdp: number;
  /** Datagrams sent to the core from device sockets. */
  toCore: number;
  fromCore: number;
  /** Messages sent to devices by SMS (each may be several SMS parts). */
  downlinkSms: number;
  downlinkUdp: number;
  /** Core retransmissions of a request already carried by SMS (no second SMS was sent). */
  coreRetransmissionsAbsorbed: number;
  /** Requests held for a device that could not be reached. */
  held: number;
  malformed: number;
  unknownDevice: number;
  /** A device answer to an SMS exchange that was already answered. */
  duplicateUplink: number;
  /** Empty ACKs of the core not forwarded to SMS devices (they would only cost money). */
  emptyAcksNotSent: number;
  /** Messages an entry point could not handle (Redis refused a write, a defect); see `dropped` reason `failed`. */
  failed: number;
  /** Registers and Updates the admission policy refused (nothing stored, no socket bound). */
  refusedRegistrations: number;
  /** Datagrams refused because their source host exceeded its rate (`dropped` reason `rate-limited`). */
  rateLimited: number;
}

/** Why a message was not relayed. */
export type DropReason =
  | 'malformed-from-device'
  | 'malformed-from-core'
  | 'unknown-device'
  | 'unknown-sender'
  /** The source (UDP host, or MSISDN) sent faster than its flood limit allows. */
  | 'rate-limited'
  | 'invalid-registration'
  | 'registration-refused'
  | 'no-route'
  | 'no-socket'
  | 'sms-failed'
  | 'core-did-not-ack'
  /** Redis refused to store a registration: the device was answered 5.03. */
  | 'store-failed'
  /** An entry point failed (Redis refused a write, a defect); counted in `failed`. */
  | 'failed';

/** Events of the relay. */
export type RelayEvents = {
  dropped: [{ readonly reason: DropReason; readonly endpoint: string | null; readonly detail: string }];
  held: [{ readonly endpoint: string; readonly held: number }];
  /** The bearer chosen for a request of the core (`hold`: the device cannot be reached now). */
  bearer: [{ readonly endpoint: string; readonly bearer: 'udp' | 'sms' | 'hold'; readonly messageId: number }];
};
