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
  /** Registers and Updates the admission policy refused (nothing stored, no socket bound). */
  refusedRegistrations: number;
}

/** Why a message was not relayed. */
export type DropReason =
  | 'malformed-from-device'
  | 'malformed-from-core'
  | 'unknown-device'
  | 'unknown-sender'
  | 'invalid-registration'
  | 'registration-refused'
  | 'no-route'
  | 'no-socket'
  | 'sms-failed'
  | 'core-did-not-ack';

/** Events of the relay. */
export type RelayEvents = {
  dropped: [{ readonly reason: DropReason; readonly endpoint: string | null; readonly detail: string }];
  held: [{ readonly endpoint: string; readonly held: number }];
};
