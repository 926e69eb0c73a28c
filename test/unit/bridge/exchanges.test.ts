import { describe, expect, it } from 'vitest';
import { DeviceExchanges } from '../../../src/bridge/exchanges.ts';
import { EXCHANGE_LIFETIME_SEC } from '../../../src/lwm2m/coap-parameters.ts';

const LIFETIME_MS = EXCHANGE_LIFETIME_SEC * 1000;

describe('device exchanges: lifecycle', () => {
  it('is idle when new, holds entries while an exchange lives, and is idle again once they expire', () => {
    const exchanges = new DeviceExchanges(0x12345678);
    expect(exchanges.isIdle).toBe(true);
    exchanges.uplinkId(7, true, 'udp', 1000);
    expect(exchanges.size).toBe(2); // device → core and core → device
    exchanges.openSmsExchange({ coreMessageId: 1, coreType: 'CON', tokenHex: 'ab', deviceMessageId: 2, createdAtMs: 1000, answered: false });
    exchanges.firstSeparateResponse(9, 1000);
    expect(exchanges.size).toBe(6);
    exchanges.prune(1000 + LIFETIME_MS - 1);
    expect(exchanges.isIdle).toBe(false);
    exchanges.prune(1000 + LIFETIME_MS + 1000); // prune walks at most once a second
    expect(exchanges.size).toBe(0);
    expect(exchanges.isIdle).toBe(true);
  });

  it('is not idle while a separate response awaits the core\'s ACK (held requests live in their own store)', () => {
    const exchanges = new DeviceExchanges(1);
    exchanges.awaitingCoreAck.set(3, () => undefined);
    expect(exchanges.isIdle).toBe(false);
    exchanges.awaitingCoreAck.delete(3);
    expect(exchanges.isIdle).toBe(true);
  });
});
