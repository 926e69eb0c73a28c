/**
 * Sends CoAP messages to devices by SMS through the modem pool: 8-bit binary (DCS 0x04),
 * concatenated when longer than 140 octets, with one concatenation reference counter per
 * destination kept in Redis (so a restart does not reuse a reference a device may still be
 * reassembling; a single-part message takes none). Never retransmitted over SMS.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { GatewayError } from '../shared/errors.ts';
import type { ModemPool } from '../modem/modem-pool.ts';
import type { SendResult } from '../modem/modem-types.ts';
import { splitIntoSubmitPdus, type SubmitRequest } from '../sms/index.ts';
import type { DeviceSmsSender } from './relay.ts';

/** Counts of what was sent, for the cost benchmark and metrics. */
export interface SmsSendCounters {
  messages: number;
  parts: number;
  failed: number;
  unknown: number;
}

/** {@link DeviceSmsSender} over a {@link ModemPool}. */
export class PoolSmsSender implements DeviceSmsSender {
  readonly counters: SmsSendCounters = { messages: 0, parts: 0, failed: 0, unknown: 0 };

  constructor(private readonly pool: ModemPool, private readonly redis: Redis, private readonly prefix = 'smsbridge:concat-ref:') {}

  /**
   * Sends `payload` to `msisdn` (digits), from modem `viaModem` when named: the device accepts SMS
   * only from that modem's number, so no other modem stands in for it. Rejects with the send's
   * error when a part was refused or its outcome is unknown (the caller must not resend blindly),
   * or GW_ERR_POOL_NO_MODEM (also when `viaModem` cannot send now). `ports`: 16-bit application
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
   * emits each report as `delivery-report` with this message's id.
   */
  async sendMessage(
    msisdn: string,
    payload: SubmitRequest['payload'],
    viaModem: string | null = null,
    ports: { readonly destination: number; readonly source: number } | null = null,
    options: { readonly statusReportRequest?: boolean } = {},
  ): Promise<{ messageId: string; modem: string; parts: number }> {
    if (viaModem !== null) {
      const state = this.pool.drivers.find((driver) => driver.config.name === viaModem)?.state;
      if (state !== 'ready' && state !== 'degraded') {
        throw new GatewayError('GW_ERR_POOL_NO_MODEM', `modem "${viaModem}", whose number the device accepts, cannot send now (${state ?? 'not configured'})`, { modem: viaModem });
      }
    }
    const request = { destination: `+${msisdn}`, payload, ...(ports === null ? {} : { ports }), statusReportRequest: options.statusReportRequest === true };
    let parts = splitIntoSubmitPdus(request);
    // A single part carries no concatenation header (TS 23.040 §9.2.3.24.1), so it takes no reference: no Redis round trip.
    if (parts.length > 1) parts = splitIntoSubmitPdus({ ...request, concatReference: (await this.redis.incr(`${this.prefix}${msisdn}`)) & 0xff });
    const result: SendResult = await this.pool.send({ messageId: randomUUID(), recipient: `+${msisdn}`, parts }, { preferredModem: viaModem });
    this.counters.messages += 1;
    this.counters.parts += result.sent.length;
    if (result.failure !== null) {
      if (result.failure.outcome === 'unknown') this.counters.unknown += 1;
      else this.counters.failed += 1;
      throw result.failure.error instanceof GatewayError ? result.failure.error : new GatewayError('GW_ERR_MODEM_SEND_FAILED', String(result.failure.error));
    }
    return { messageId: result.messageId, modem: result.modem, parts: result.sent.length };
  }
}
