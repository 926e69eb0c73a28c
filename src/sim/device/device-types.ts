/**
 * Value types of a simulated device: its counters, registration, and events. Plain data.
 */
import type { Bearer } from './coap-endpoint.ts';
import type { SmsIgnoredReason } from './sms-link.ts';

/** Counters of one device since start. SMS counts are per SMS (each part of a concatenated one). */
export interface SimDeviceStats {
  /** Successful Registers (2.01). */
  readonly registrations: number;
  readonly registrationFailures: number;
  /** Successful Updates (2.04). */
  readonly updates: number;
  readonly updateFailures: number;
  /** Successful De-registers (2.02). */
  readonly deregistrations: number;
  /** Requests from the server, duplicates excluded. */
  readonly requestsReceived: number;
  /** Reads answered 2.05. */
  readonly readsAnswered: number;
  /** Writes answered 2.04. */
  readonly writes: number;
  /** Executes answered 2.04. */
  readonly executes: number;
  /** Requests answered 4.04. */
  readonly notFound: number;
  /** Duplicates answered from the cache (requests, and CON separate responses sent again; RFC 7252 §4.5). */
  readonly duplicates: number;
  readonly smsSent: number;
  readonly smsReceived: number;
  /** SMS dropped: from another number, not 8-bit, undecodable. */
  readonly smsIgnored: number;
  readonly udpSent: number;
  readonly udpReceived: number;
  /** Datagrams dropped while asleep (queue mode). */
  readonly udpDropped: number;
  /** CON retransmissions over UDP. */
  readonly retransmissions: number;
}

/** The current registration. */
export interface RegistrationInfo {
  /** The Location-Path of the 2.01, e.g. `['rd', '5a3f']`. */
  readonly locationPath: readonly string[];
  /** The same as a path, `/rd/5a3f`. */
  readonly location: string;
  /** The bearer the Register went over. */
  readonly bearer: Bearer;
  readonly lifetimeSec: number;
}

/** Why an Update was sent. */
export type UpdateReason = 'lifetime' | 'trigger' | 'lifetime-changed' | 'manual';

/** One answered request, as the `request` event reports it. */
export interface AnsweredRequest {
  /** `GET`, `PUT`, `POST`, … */
  readonly method: string;
  /** `/3/0`. */
  readonly path: string;
  readonly bearer: Bearer;
  /** `2.05`. */
  readonly code: string;
}

/** Events of `SimDevice`. */
export type SimDeviceEvents = {
  /** A Register was answered 2.01 with a Location-Path. */
  registered: [RegistrationInfo];
  /** A Register failed (timeout, error code, no Location-Path); it is tried again after `registerRetryMs`. */
  registrationFailed: [reason: string];
  /** An Update was answered 2.04. */
  updated: [bearer: Bearer, reason: UpdateReason];
  /** An Update failed; after a 4.xx the device registers again, else it retries after `registerRetryMs`. */
  updateFailed: [reason: string];
  /** The De-register on stop was answered 2.02. */
  deregistered: [];
  /** A request from the server was answered (duplicates are not reported). */
  request: [AnsweredRequest];
  /** Queue mode: the device woke up (UDP datagrams are taken again). */
  awake: [];
  /** Queue mode: the awake window ended (UDP datagrams are dropped). */
  asleep: [];
  /** An SMS was dropped (another sender, not 8-bit, undecodable). */
  smsIgnored: [from: string, reason: SmsIgnoredReason];
};
