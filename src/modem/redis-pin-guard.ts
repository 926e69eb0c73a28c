/**
 * Rejected PINs remembered in Redis per modem, so that no restart of the gateway sends a PIN the
 * SIM already refused (three wrong PINs block the SIM; smstools and Kannel users lost SIMs that
 * way). Only a hash of the PIN is stored.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { PinGuard } from './modem-init.ts';

/** A {@link PinGuard} for the modem named `modem`, in the set `<prefix>pin-rejected:<modem>`. */
export function redisPinGuard(redis: Redis, modem: string, prefix = 'smsbridge:'): PinGuard {
  const key = `${prefix}pin-rejected:${modem}`;
  const digest = (pin: string): string => createHash('sha256').update(`${modem}\n${pin}`).digest('hex');
  return {
    wasRejected: async (pin) => (await redis.sismember(key, digest(pin))) === 1,
    markRejected: async (pin) => void (await redis.sadd(key, digest(pin))),
  };
}
