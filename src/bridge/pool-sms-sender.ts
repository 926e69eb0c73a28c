/**
 * Sends CoAP messages to devices by SMS through the modem pool: 8-bit binary (DCS 0x04),
 * concatenated when longer than 140 octets, with one concatenation reference counter per
 * destination kept in Redis (so a restart does not reuse a reference a device may still be
 * reassembling; a single-part message takes none). Never retransmitted over SMS.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { GatewayError } from '../shared/errors.ts';
import type { ModemPool, MoreQueuedProbe } from '../modem/modem-pool.ts';
import type { ModemState, SendResult } from '../modem/modem-types.ts';
import { splitIntoSubmitPdus, type SubmitRequest } from '../sms/index.ts';
import type { DeviceSmsSender } from './relay.ts';

/** Counts of what was sent, for the cost benchmark and metrics. */
export interface SmsSendCounters {
  messages: number;
  parts: number;
  failed: number;
  unknown: number;
}

/**
 * States a modem passes through on its way back (its port vanished and is reopened, it restarted
 * and is initialised again): a message for it waits instead of failing.
 */
const COMING_BACK: ReadonlySet<ModemState> = new Set(['disconnected', 'opening', 'initialising', 'resetting']);

/**
 * How long a message for one named modem waits for it to come back (a USB modem replugged, a
 * modem rebooting: seconds in the modem-loss benchmark, docs/reliability.md#modem-loss).
 */
export const MODEM_COMEBACK_WAIT_MS = 60_000;

/** Sends of one message cut off before anything left (each followed by the modem's comeback) before it counts as failed. */
const MAX_SEND_ATTEMPTS = 3;

/** {@link DeviceSmsSender} over a {@link ModemPool}. */
export class PoolSmsSender implements DeviceSmsSender {
  readonly counters: SmsSendCounters = { messages: 0, parts: 0, failed: 0, unknown: 0 };

  /** `comebackWaitMs`: see {@link MODEM_COMEBACK_WAIT_MS}; 0 fails at once. */
  constructor(private readonly pool: ModemPool, private readonly redis: Redis, private readonly prefix = 'smsbridge:concat-ref:', private readonly comebackWaitMs = MODEM_COMEBACK_WAIT_MS) {}

  /**
   * Sends `payload` to `msisdn` (digits), from modem `viaModem` when named: the device accepts SMS
   * only from that modem's number, so no other modem stands in for it. Rejects with the send's
   * error when a part was refused or its outcome is unknown (the caller must not resend blindly),
   * or GW_ERR_POOL_NO_MODEM (also when `viaModem` cannot send now). When `viaModem` is on its way
   * back (disconnected, reopening, initialising, resetting) the message waits for it up to the
   * comeback wait: no other modem may stand in, and failing at once lost the core's request.
   * `ports`: 16-bit application
   * ports for the UDH (a WAP Push trigger), none by default.
   */
  async send(msisdn: string, payload: Uint8Array, viaModem: string | null = null, ports: { readonly destination: number; readonly source: number } | null = null): Promise<void> {
    await this.sendMessage(msisdn, { data: payload }, viaModem, ports);
  }

  /**
   * Sends 8-bit data or text (GSM 7-bit when it can, else UCS2) to `msisdn` (digits), counted
   * like the relay's SMS; resolves with the message's id, modem and parts. Rejects as {@link send},
   * or with GW_ERR_SMS_ENCODE / GW_ERR_SMS_TOO_LONG before anything is sent.
   * `options.statusReportRequest`: TP-SRR on every part (TS 23.040 §9.2.3.5); the modem driver
   * emits each report as `delivery-report` with this message's id. `options.moreQueued`: more
   * messages wait for the chosen modem outside the pool (the outbound queue's jobs), so the
   * driver keeps the relay link up for them (`AT+CMMS=1`, TS 27.005 §3.5.6); see ModemPool.send.
   */
  async sendMessage(
    msisdn: string,
    payload: SubmitRequest['payload'],
    viaModem: string | null = null,
    ports: { readonly destination: number; readonly source: number } | null = null,
    options: { readonly statusReportRequest?: boolean; readonly moreQueued?: MoreQueuedProbe } = {},
  ): Promise<{ messageId: string; modem: string; parts: number }> {
    const submit = { destination: `+${msisdn}`, payload, ...(ports === null ? {} : { ports }), statusReportRequest: options.statusReportRequest === true };
    let parts = splitIntoSubmitPdus(submit);
    // A single part carries no concatenation header (TS 23.040 §9.2.3.24.1), so it takes no reference: no Redis round trip.
    if (parts.length > 1) parts = splitIntoSubmitPdus({ ...submit, concatReference: (await this.redis.incr(`${this.prefix}${msisdn}`)) & 0xff });
    const request = { messageId: randomUUID(), recipient: `+${msisdn}`, parts };
    const deadlineMs = Date.now() + this.comebackWaitMs;
    let result: SendResult;
    for (let attempt = 1; ; attempt++) {
      if (viaModem !== null) await this.whenAbleToSend(viaModem, Math.max(0, deadlineMs - Date.now()));
      try {
        // Only that modem: another one's SMS would come from a number the device discards.
        result = await this.pool.send(request, { preferredModem: viaModem, onlyPreferred: viaModem !== null, moreQueued: options.moreQueued });
        // Cut off before anything left (the port vanished or the modem restarted under AT+CMMS or
        // before the PDU was written): nothing can be duplicated, so it waits for the modem again.
        const nothingLeft = result.failure?.outcome === 'failed' && result.sent.length === 0;
        if (nothingLeft && viaModem !== null && attempt < MAX_SEND_ATTEMPTS && Date.now() < deadlineMs && this.comingBack(viaModem)) continue;
        break;
      } catch (error) {
        // It went away again between being ready and taking the message (nothing left): wait again.
        const again = viaModem !== null && error instanceof GatewayError && error.code === 'GW_ERR_POOL_NO_MODEM' && Date.now() < deadlineMs && this.comingBack(viaModem);
        if (!again) throw error;
      }
    }
    this.counters.messages += 1;
    this.counters.parts += result.sent.length;
    if (result.failure !== null) {
      if (result.failure.outcome === 'unknown') this.counters.unknown += 1;
      else this.counters.failed += 1;
      throw result.failure.error instanceof GatewayError ? result.failure.error : new GatewayError('GW_ERR_MODEM_SEND_FAILED', String(result.failure.error));
    }
    return { messageId: result.messageId, modem: result.modem, parts: result.sent.length };
  }

  private comingBack(name: string): boolean {
    const state = this.pool.drivers.find((d) => d.config.name === name)?.state;
    return state !== undefined && COMING_BACK.has(state);
  }

  /** Resolves when modem `name` can send (waiting up to `waitMs` while it comes back); GW_ERR_POOL_NO_MODEM otherwise. */
  private async whenAbleToSend(name: string, waitMs: number): Promise<void> {
    const driver = this.pool.drivers.find((d) => d.config.name === name);
    const refuse = (state: string): GatewayError =>
      new GatewayError('GW_ERR_POOL_NO_MODEM', `modem "${name}", whose number the device accepts, cannot send now (${state})`, { modem: name });
    if (driver === undefined) throw refuse('not configured');
    if (driver.state === 'ready' || driver.state === 'degraded') return;
    if (!COMING_BACK.has(driver.state) || waitMs <= 0) throw refuse(driver.state);
    const back = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, waitMs);
      const off = driver.on('state', (state) => {
        if (state !== 'ready' && state !== 'degraded' && COMING_BACK.has(state)) return;
        clearTimeout(timer);
        off();
        resolve(state === 'ready' || state === 'degraded');
      });
    });
    if (!back) throw refuse(`${driver.state}; waited up to ${this.comebackWaitMs} ms for it`);
  }
}
