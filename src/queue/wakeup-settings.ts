/**
 * Settings of wake-up jobs (attempts, back-off, time-to-live, trigger kind and framing, the
 * status-report wait, the Bootstrap-Request Trigger after registration failures) with their
 * defaults and per-device-group overrides, and the back-off delay. Pure.
 */
import type { TriggerFraming, TriggerMode } from './triggers.ts';

/**
 * What a wake-up sends: the Registration Update Trigger (`/1/x/8`), or a plain shoulder-tap SMS
 * (text or binary from config) for devices whose firmware wakes on any SMS from the server number.
 */
export type WakeupTriggerKind = 'registration-update' | 'shoulder-tap';

/** Settings of one device's wake-up. */
export interface WakeupSettings {
  /** Most triggers sent for one wake-up request. */
  readonly attempts: number;
  /** Wait after the first trigger before the next, in ms; doubled after each (exponential). */
  readonly backoffMs: number;
  /** Longest wait between two triggers, in ms. */
  readonly maxBackoffMs: number;
  /** How long a wake-up request stays alive, from the request, in ms; then the job gives up. */
  readonly ttlMs: number;
  /** CoAP type of the trigger (LwM2M 1.1+ clients send no response either way). */
  readonly triggerMode: TriggerMode;
  /** Raw CoAP, or the WAP Push of LwM2M Core Appendix L. */
  readonly framing: TriggerFraming;
  /** What is sent: the Registration Update Trigger, or a shoulder-tap SMS. */
  readonly triggerKind: WakeupTriggerKind;
  /** Shoulder-tap text (GSM 7-bit when it can, else UCS2); used when `shoulderTapHex` is empty. */
  readonly shoulderTapText: string;
  /** Shoulder-tap as 8-bit data, hex digits; empty: send `shoulderTapText`. */
  readonly shoulderTapHex: string;
  /**
   * How long after a trigger its SMS-STATUS-REPORT (TS 23.040 §9.2.2.3) is waited for, in ms;
   * later, the attempt counts as "no report". The job's last check waits this long at most.
   */
  readonly statusReportWaitMs: number;
  /**
   * Registration failures (the core answered a Register 4.xx/5.xx or never) after which the
   * device is sent a Bootstrap-Request Trigger (`/1/x/9`); 0: never (seed BSR-001/002).
   */
  readonly bootstrapAfterFailures: number;
  /** Least wait between two Bootstrap-Request Triggers to one device, in ms; doubled after each. */
  readonly bootstrapBackoffMs: number;
  /** Longest wait between two Bootstrap-Request Triggers, in ms. */
  readonly bootstrapMaxBackoffMs: number;
}

/** The configuration: defaults, and overrides by device group name. */
export interface WakeupConfig extends Partial<WakeupSettings> {
  /** Device group name → settings for its devices. */
  readonly groups?: Readonly<Record<string, Partial<WakeupSettings>>>;
}

/**
 * The defaults: 3 triggers, 30 s, 60 s, 120 s apart at most, for at most 10 minutes; a status
 * report waited for 60 s; a Bootstrap-Request Trigger after 5 failed Registers, at most every
 * 10 minutes at first, then every 20, 40 … up to a day.
 */
export const WAKEUP_DEFAULTS: WakeupSettings = {
  attempts: 3, backoffMs: 30_000, maxBackoffMs: 120_000, ttlMs: 600_000, triggerMode: 'NON', framing: 'coap',
  triggerKind: 'registration-update', shoulderTapText: 'WAKEUP', shoulderTapHex: '', statusReportWaitMs: 60_000,
  bootstrapAfterFailures: 5, bootstrapBackoffMs: 600_000, bootstrapMaxBackoffMs: 86_400_000,
};

/** Share of a back-off delay taken away at random (jitter), so that many devices do not retry in step. */
export const BACKOFF_JITTER_RATIO = 0.2;

/** The settings of a device in group `groupName` (null: no group). */
export function wakeupSettingsFor(config: WakeupConfig, groupName: string | null): WakeupSettings {
  const { groups, ...base } = config;
  const group = groupName === null ? undefined : groups?.[groupName];
  return { ...WAKEUP_DEFAULTS, ...definedOnly(base), ...definedOnly(group ?? {}) };
}

/**
 * The wait after trigger number `trigger` (1-based): `backoffMs × 2^(trigger−1)`, at most
 * `maxBackoffMs`, less up to {@link BACKOFF_JITTER_RATIO} of it at random (`random` in [0, 1)).
 */
export function backoffDelayMs(settings: Pick<WakeupSettings, 'backoffMs' | 'maxBackoffMs'>, trigger: number, random: number): number {
  const exponential = settings.backoffMs * 2 ** Math.max(0, Math.min(trigger - 1, 30));
  const capped = Math.min(settings.maxBackoffMs, exponential);
  return Math.max(1, Math.round(capped * (1 - BACKOFF_JITTER_RATIO * random)));
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
