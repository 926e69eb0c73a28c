/**
 * Counters and events of the relay, and the senders it is given.
 */
import type { CoapMessage } from '../lwm2m/coap-message.ts';

/** Sends CoAP bytes to a device by SMS (8-bit, concatenated when needed). */
export interface DeviceSmsSender {
  /** `viaModem`: the modem the device knows as its server's number, preferred when it can send. */
  send(msisdn: string, payload: Uint8Array, viaModem: string | null): Promise<void>;
}

/**
 * Asks for a device to be woken (a trigger SMS): the relay calls it when it holds a request for a
 * device it cannot reach now. The gateway wires it to its wake-up queue, which decides whether a
 * trigger may be sent. Must not throw.
 */
export interface WakeupPort {
  requestWakeup(endpoint: string): void;
}

/**
 * Recognises a device's answer to the gateway's own trigger SMS (a 1.0 client may acknowledge a
 * CON trigger, or answer a NON one, over SMS): `take` resolves true when `message` is that answer,
 * which the relay then consumes instead of relaying it to the core. May reject (Redis).
 */
export interface TriggerAnswerPort {
  take(endpoint: string, message: CoapMessage): Promise<boolean>;
}

/** Sends CoAP bytes to a device over UDP (from the gateway's device-facing socket). */
export interface DeviceUdpSender {
  send(host: string, port: number, payload: Uint8Array): void;
}

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
  /** Held requests the gateway answered itself (5.04 expired or device silent or gone, 5.03 undeliverable). */
  heldAnsweredByGateway: number;
  /** Held requests sent on to their device once it could be reached (its answer goes to the core). */
  heldDelivered: number;
  /** Requests answered 5.03 at once: hold full, or no SMS route / server number for the device. */
  refused: number;
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
  /** A held request of a device that de-registered or lapsed: never delivered (the core ended the registration). */
  | 'device-gone'
  /** Redis refused to store a registration: the device was answered 5.03. */
  | 'store-failed'
  /** An entry point failed (Redis refused a write, a defect); counted in `failed`. */
  | 'failed';

/** Events of the relay. */
export type RelayEvents = {
  dropped: [{ readonly reason: DropReason; readonly endpoint: string | null; readonly detail: string }];
  held: [{ readonly endpoint: string; readonly held: number }];
  /**
   * The gateway answered a request of the core itself (`code` like `5.04`): `reason` is
   * `hold-full`, `hold-failed`, `no-server-number` (answered at once), or for a held request
   * `expired`, `device-silent`, `device-gone`, `undeliverable`, `device-reset`, `interrupted` (a
   * previous gateway process delivered it and stopped before the answer).
   */
  answered: [{ readonly endpoint: string; readonly code: string; readonly reason: string; readonly detail: string }];
  /** The bearer chosen for a request of the core (`hold`: the device cannot be reached now). */
  bearer: [{ readonly endpoint: string; readonly bearer: 'udp' | 'sms' | 'hold'; readonly messageId: number }];
};
