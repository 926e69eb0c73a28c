/**
 * Settings of the outbound SMS queue (config key `outboundSms`) with their defaults, and the
 * kinds of SMS. Pure: the configuration schema reads it without loading BullMQ.
 */
import { DEFAULT_HELD_REQUEST_TTL_MS } from '../bridge/held-requests.ts';
import { MODEM_COMEBACK_WAIT_MS } from '../bridge/pool-sms-sender.ts';

/**
 * What an SMS is for: `relay` (a request or answer of the relay to a device), `trigger` (a
 * wake-up trigger), `bulk` (the admin API's send).
 */
export type OutboundSmsKind = 'relay' | 'trigger' | 'bulk';

/** Settings of the outbound queue (config key `outboundSms`). */
export interface OutboundSmsSettings {
  /**
   * Resend a message whose outcome is unknown (the modem took the PDU but gave no `+CMGS`, or
   * the process died while it was being sent): once, never more. Off by default: the device may
   * get it twice.
   */
  readonly resendUnknown: boolean;
  /** Time-to-live of a queued relay message (a request or answer to a device), in ms. */
  readonly relayTtlMs: number;
  /** Time-to-live of a queued trigger, in ms. */
  readonly triggerTtlMs: number;
  /** Time-to-live of a queued bulk SMS (admin send), in ms. */
  readonly bulkTtlMs: number;
  /**
   * How long a message for a device whose modem is on its way back (port reopened after a
   * replug, modem rebooting) waits for that modem, in ms; 0 fails at once (no other modem may
   * stand in: the device accepts SMS from its server number only).
   */
  readonly modemComebackWaitMs: number;
}

/**
 * Defaults: no resend of an unknown outcome; a relay message lives as long as a held request
 * (60 s: below a core's usual request timeout, so that no Write or Execute reaches a device
 * after the core gave up on it, and well inside RFC 7252 §4.8.2 EXCHANGE_LIFETIME, 247 s, after
 * which an answer is useless), a trigger 10 minutes (a wake-up's default time-to-live), bulk one hour.
 */
export const OUTBOUND_SMS_DEFAULTS: OutboundSmsSettings = Object.freeze({
  resendUnknown: false,
  relayTtlMs: DEFAULT_HELD_REQUEST_TTL_MS,
  triggerTtlMs: 600_000,
  bulkTtlMs: 3_600_000,
  modemComebackWaitMs: MODEM_COMEBACK_WAIT_MS,
});

/** The time-to-live of `kind` under `settings`, in ms. */
export function ttlMsOf(settings: OutboundSmsSettings, kind: OutboundSmsKind): number {
  return kind === 'relay' ? settings.relayTtlMs : kind === 'trigger' ? settings.triggerTtlMs : settings.bulkTtlMs;
}
