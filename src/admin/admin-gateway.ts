/**
 * What the admin API needs of a running gateway: a snapshot from memory, the AT trace switch and
 * an SMS sender. `Gateway` (src/gateway) has this shape; the admin folder does not import it
 * (imports point down, see test/tools/check-imports.ts), so tests may hand in any gateway.
 */
import type { Queue } from 'bullmq';
import type { RelayCounters, RelayEvents } from '../bridge/relay-types.ts';
import type { WakeupService } from '../queue/wakeup-service.ts';
import type { TypedEmitter } from '../shared/typed-emitter.ts';
import type { SmsSendCounters } from '../bridge/pool-sms-sender.ts';
import type { SmsSpendCounters } from '../bridge/sms-budget.ts';
import type { SmsOperationKind } from '../bridge/sms-operations.ts';
import type { DeviceRecord } from '../lwm2m/device-record.ts';
import type { ModemStatus } from '../modem/modem-types.ts';

/** A snapshot of the gateway, answered from memory (see `Gateway.status`). */
export interface AdminGatewayStatus {
  readonly modems: readonly ModemStatus[];
  /** `awake`: heard within the awake window now (the registration mirror's presence). */
  readonly devices: readonly (DeviceRecord & { readonly corePort: number | null; readonly awake: boolean; readonly smsSpentToday?: number })[];
  readonly relay: Readonly<RelayCounters>;
  /** SMS spend (sms-budget.ts): parts spent today (UTC) on all devices, refusals, SMS per operation kind. */
  readonly smsSpend?: Readonly<SmsSpendCounters> & {
    readonly todayParts: number;
    readonly sent: Readonly<Record<SmsOperationKind, number>>;
    readonly received: Readonly<Record<SmsOperationKind, number>>;
  };
  /** Core requests held now for devices that cannot be reached. */
  readonly heldRequests: number;
  readonly sms: Readonly<SmsSendCounters>;
  readonly unknownSenders: number;
  readonly redis: { readonly commands: string; readonly consumer: string };
  /** Core-facing sockets: open now, devices waiting for their recorded address, the pool's counters since start (absent: not reported). */
  readonly coreSockets?: {
    readonly open: number; readonly waiting: number; readonly bound: number;
    readonly bindFailures: number; readonly fileLimitFailures: number; readonly moved: number;
  };
}

/** The content of an SMS sent through the API: 8-bit data or text (GSM 7-bit, else UCS2). */
export type AdminSmsPayload = { readonly data: Uint8Array } | { readonly text: string };

/** The outcome of a sent SMS. */
export interface AdminSmsSent {
  readonly messageId: string;
  readonly modem: string;
  readonly parts: number;
}

/**
 * The wake-up service as the admin API sees it (src/queue/wakeup-service.ts): request, the live
 * jobs, the last outcomes (shown as stored: the API does not list their fields), and its
 * `outcome` events for the latency histogram.
 */
export type AdminWakeups = Pick<WakeupService, 'request' | 'job' | 'jobs' | 'lastOutcome' | 'lastOutcomes' | 'on'>;

/** The gateway as the admin API and the metrics see it. */
export interface AdminGateway {
  status(): Promise<AdminGatewayStatus>;
  /** Modems whose AT trace is on. */
  readonly atTraced: readonly string[];
  /** Throws GW_ERR_CONFIG for an unknown modem name. */
  setAtTrace(modem: string, on: boolean): void;
  /** `to`: E.164 with `+`. Rejects with the send's typed error (GW_ERR_POOL_NO_MODEM, GW_ERR_MODEM_SEND_…, GW_ERR_SMS_…). */
  sendSms(to: string, payload: AdminSmsPayload): Promise<AdminSmsSent>;
  /** Whether `endpoint` is in the registration mirror (from memory). */
  hasDevice(endpoint: string): boolean;
  /** The wake-up service. */
  readonly wakeups: AdminWakeups;
  /**
   * Every BullMQ queue of the gateway (`wakeup`, …), for `/api/v1/queues`, the status page and
   * the queue board; the gateway owns and closes them.
   */
  readonly queues: readonly Queue[];
  /** The relay's events (`answered`: requests the gateway answered itself, counted by the metrics). */
  readonly relay: Pick<TypedEmitter<RelayEvents>, 'on'>;
}
