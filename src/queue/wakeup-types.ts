/**
 * What the wake-up service reports: why a wake-up was skipped or given up, how it ended (kept in
 * Redis per device), its events, and a job as the admin API shows it.
 */
import type { BudgetRefusal } from '../bridge/sms-budget.ts';
import type { TriggerDelivery } from './delivery-status.ts';
import type { WakeupRequestResult, WakeupSource } from './wakeup-jobs.ts';

/** Why no trigger was sent. */
export type WakeupSkipReason = 'not-registered' | 'awake' | 'no-sms' | 'not-allowed' | 'no-server-modem';
/** Why the job gave up (`undeliverable`: a status report named a permanent error; `budget-exhausted`: the day's SMS budget is spent). */
export type WakeupGiveUpReason = 'device-silent' | 'ttl-expired' | 'send-failed' | 'undeliverable' | 'budget-exhausted';

/** What every outcome may carry besides its result: the diagnosis of each trigger sent. */
export interface OutcomeDiagnosis {
  /** Per trigger, in order: delivered / undeliverable (TP-ST) / no report. Absent when none was sent. */
  readonly deliveries?: readonly TriggerDelivery[];
}

/** How a wake-up ended (kept in Redis per device, and emitted). */
export type WakeupOutcome =
  | { readonly result: 'woke'; readonly endpoint: string; readonly triggers: number; readonly elapsedMs: number; readonly endedAtMs: number } & OutcomeDiagnosis
  | {
    readonly result: 'gave-up'; readonly endpoint: string; readonly reason: WakeupGiveUpReason; readonly triggers: number; readonly elapsedMs: number; readonly endedAtMs: number;
    /** `undeliverable`: the TP-ST of the report (TS 23.040 §9.2.3.15) and its name. */
    readonly status?: number;
    readonly statusName?: string;
  } & OutcomeDiagnosis
  | { readonly result: 'skipped'; readonly endpoint: string; readonly reason: WakeupSkipReason; readonly triggers: 0; readonly elapsedMs: number; readonly endedAtMs: number } & OutcomeDiagnosis;

/** A status report as the modem driver emits it (ModemEvents `delivery-report`). */
export interface TriggerReport {
  readonly messageId: string;
  readonly part: number;
  /** TP-ST (TS 23.040 §9.2.3.15). */
  readonly status: number;
}

/** Events of the WakeupService (wakeup-service.ts; logged by the gateway). */
export type WakeupEvents = {
  requested: [WakeupRequestResult & { readonly source: WakeupSource }];
  trigger: [{ readonly endpoint: string; readonly jobId: string; readonly trigger: number; readonly modem: string; readonly framing: string; readonly nextCheckMs: number; readonly kind?: string; readonly messageId?: string }];
  'trigger-failed': [{ readonly endpoint: string; readonly jobId: string; readonly detail: string }];
  /** A status report for a trigger SMS arrived. */
  'trigger-report': [{ readonly endpoint: string; readonly trigger: number; readonly part: number; readonly status: number; readonly statusName: string }];
  /** The device answered its trigger (ACK, RST or response); consumed, not relayed. */
  'trigger-answered': [{ readonly endpoint: string; readonly type: string; readonly code: number }];
  /** A Register of the device failed (refused by the core or unanswered). */
  'registration-failed': [{ readonly endpoint: string; readonly why: 'rejected' | 'unanswered'; readonly failures: number }];
  /** A Bootstrap-Request Trigger was sent after repeated registration failures (or failed: `error`). */
  'bootstrap-trigger': [{ readonly endpoint: string; readonly trigger: number; readonly failures: number; readonly modem: string; readonly error?: string }];
  outcome: [WakeupOutcome];
  /** A trigger was refused by the SMS budget (the job gives up with `budget-exhausted`, or retries while Redis is away). */
  'sms-refused': [BudgetRefusal];
  /**
   * Redis or BullMQ trouble (the queue reconnects by itself). Not named `error`: an `error` event
   * without a listener would throw, and BullMQ reports a closed connection after `close()`.
   */
  problem: [{ readonly detail: string }];
};

/** A wake-up job as the admin API shows it (WakeupService.job). */
export interface WakeupJobView {
  readonly endpoint: string;
  readonly jobId: string;
  /** BullMQ state: `waiting`, `active`, `delayed`, `prioritized` … */
  readonly state: string;
  /** BullMQ attempts made so far (each attempt sends at most one trigger). */
  readonly attempts: number;
  /** Trigger SMS sent for this job so far. */
  readonly triggers: number;
  readonly source: WakeupSource;
  readonly requestedAtMs: number;
}

/** BullMQ states a live wake-up job can be in (ended jobs are removed; their outcome is kept apart). */
export const LIVE_JOB_STATES = ['active', 'waiting', 'prioritized', 'delayed'] as const;
