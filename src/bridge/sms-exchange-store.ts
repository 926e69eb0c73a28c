/**
 * SMS exchanges kept in Redis across a restart. An SMS exchange (exchanges.ts) ties the core's
 * request, carried to a device by SMS, to the device's answer: by the Message ID the gateway
 * gave the SMS (a piggybacked answer, RFC 7252 §5.2.1) or by the token (a separate response,
 * §5.2.2). Kept only in memory, it died with the process, and every answer that arrived after a
 * restart matched nothing: the core's request timed out although the device had answered
 * (docs/reliability.md, "Proof under crashes").
 *
 * Keys (under `prefix`), each for EXCHANGE_LIFETIME (RFC 7252 §4.8.2, 247 s) and both holding
 * the exchange as JSON: `<endpoint>:mid:<device Message ID>` and `<endpoint>:token:<token hex>`.
 */
import type { Redis } from 'ioredis';
import { EXCHANGE_LIFETIME_SEC } from '../lwm2m/coap-parameters.ts';
import type { SmsExchange } from './exchanges.ts';

/** How a device message names the exchange it answers. */
export type SmsExchangeKey = { readonly deviceMessageId: number } | { readonly tokenHex: string };

/** Where SMS exchanges outlive the process. Implementations may reject (Redis gone); callers treat it as best effort. */
export interface SmsExchangeStore {
  /** Stores `exchange` of `endpoint` for EXCHANGE_LIFETIME; the SMS should leave after it resolves. */
  save(endpoint: string, exchange: SmsExchange): Promise<void>;
  /** The stored exchange of `endpoint` that `key` names, or null. */
  find(endpoint: string, key: SmsExchangeKey): Promise<SmsExchange | null>;
  /** The exchange was answered (or given up): forget it, so an answer read again is not relayed twice. */
  forget(endpoint: string, exchange: SmsExchange): Promise<void>;
}

/** {@link SmsExchangeStore} in Redis; see the file comment. */
export class RedisSmsExchangeStore implements SmsExchangeStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  async save(endpoint: string, exchange: SmsExchange): Promise<void> {
    const json = JSON.stringify(exchange);
    await this.redis.multi()
      .set(this.midKey(endpoint, exchange.deviceMessageId), json, 'EX', EXCHANGE_LIFETIME_SEC)
      .set(this.tokenKey(endpoint, exchange.tokenHex), json, 'EX', EXCHANGE_LIFETIME_SEC)
      .exec();
  }

  async find(endpoint: string, key: SmsExchangeKey): Promise<SmsExchange | null> {
    const json = await this.redis.get('deviceMessageId' in key ? this.midKey(endpoint, key.deviceMessageId) : this.tokenKey(endpoint, key.tokenHex));
    return json === null ? null : parseExchange(json);
  }

  async forget(endpoint: string, exchange: SmsExchange): Promise<void> {
    await this.redis.del(this.midKey(endpoint, exchange.deviceMessageId), this.tokenKey(endpoint, exchange.tokenHex));
  }

  private midKey(endpoint: string, deviceMessageId: number): string {
    return `${this.prefix}${endpoint}:mid:${deviceMessageId}`;
  }

  private tokenKey(endpoint: string, tokenHex: string): string {
    return `${this.prefix}${endpoint}:token:${tokenHex}`;
  }
}

/** The stored JSON back as an exchange, or null when it is not one (written by another version). */
function parseExchange(json: string): SmsExchange | null {
  try {
    const o = JSON.parse(json) as Partial<SmsExchange>;
    if (typeof o.coreMessageId !== 'number' || (o.coreType !== 'CON' && o.coreType !== 'NON') || typeof o.tokenHex !== 'string'
      || typeof o.deviceMessageId !== 'number' || typeof o.createdAtMs !== 'number') return null;
    return { coreMessageId: o.coreMessageId, coreType: o.coreType, tokenHex: o.tokenHex, deviceMessageId: o.deviceMessageId, createdAtMs: o.createdAtMs, answered: false };
  } catch {
    return null;
  }
}
