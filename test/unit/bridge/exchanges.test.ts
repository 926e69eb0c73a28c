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

describe('device exchanges: uplink message-ID translation', () => {
  it('gives a retransmission the same core ID, translates the core\'s ACK back per bearer, and gives a new ID after EXCHANGE_LIFETIME', () => {
    const t0 = 1_796_000_000_123; // not a whole second
    const exchanges = new DeviceExchanges(0x0000fffe); // core IDs wrap: 0xfffe, 0xffff, 0
    const udp = exchanges.uplinkId(0xffff, true, 'udp', t0);
    const sms = exchanges.uplinkId(0xffff, true, 'sms', t0);
    const non = exchanges.uplinkId(5, false, 'udp', t0);
    expect([udp, sms, non]).toEqual([0xfffe, 0xffff, 0]);
    expect(exchanges.uplinkId(0xffff, true, 'udp', t0 + LIFETIME_MS - 1)).toBe(udp); // a retransmission
    expect(exchanges.uplinkId(0xffff, true, 'sms', t0 + 1)).toBe(sms);
    expect(exchanges.uplinkFor(udp)).toMatchObject({ deviceMessageId: 0xffff, bearer: 'udp' });
    expect(exchanges.uplinkFor(sms)).toMatchObject({ deviceMessageId: 0xffff, bearer: 'sms' });
    expect(exchanges.uplinkFor(non)).toBeUndefined(); // a NON is not answered by an ACK
    expect(exchanges.uplinkId(0xffff, true, 'udp', t0 + LIFETIME_MS + 1000)).toBe(1); // a new message with a reused ID
    exchanges.pinUplinkId(9, 0x1234, true, 'sms', t0);
    expect(exchanges.uplinkId(9, true, 'sms', t0 + 10)).toBe(0x1234);
    expect(exchanges.uplinkFor(0x1234)).toMatchObject({ deviceMessageId: 9, bearer: 'sms' });
  });
});

describe('device exchanges: the uplink table, small and large', () => {
  it('translates the same before and after it outgrows its flat array, keeps what is younger than EXCHANGE_LIFETIME when pruned, and forgets the rest', () => {
    const t0 = 1_796_000_000_000;
    const exchanges = new DeviceExchanges(0);
    const first: number[] = [];
    for (let id = 0; id < 5; id += 1) first.push(exchanges.uplinkId(100 + id, true, 'udp', t0)); // 10 entries: still an array
    const later: number[] = [];
    for (let id = 0; id < 20; id += 1) later.push(exchanges.uplinkId(200 + id, true, id % 2 === 0 ? 'udp' : 'sms', t0 + 100_000)); // grows past it: a Map
    expect(exchanges.size).toBe(50);
    for (let id = 0; id < 5; id += 1) {
      expect(exchanges.uplinkId(100 + id, true, 'udp', t0 + 1000)).toBe(first[id]); // retransmissions keep their core ID
      expect(exchanges.uplinkFor(first[id]!)).toEqual({ deviceMessageId: 100 + id, bearer: 'udp', atMs: t0 });
    }
    for (let id = 0; id < 20; id += 1) expect(exchanges.uplinkFor(later[id]!)?.bearer).toBe(id % 2 === 0 ? 'udp' : 'sms');
    exchanges.prune(t0 + LIFETIME_MS); // the first five have lapsed, the twenty have not
    expect(exchanges.size).toBe(40);
    expect(exchanges.uplinkFor(first[0]!)).toBeUndefined();
    expect(exchanges.uplinkFor(later[19]!)?.deviceMessageId).toBe(219);
    exchanges.prune(t0 + 100_000 + LIFETIME_MS);
    expect(exchanges.isIdle).toBe(true);
  });

  it('prunes a small table in place and gives a lapsed ID a new core ID', () => {
    const t0 = 1_796_000_000_000;
    const exchanges = new DeviceExchanges(0);
    const old = exchanges.uplinkId(1, true, 'udp', t0);
    const young = exchanges.uplinkId(2, false, 'udp', t0 + 10_000);
    expect(exchanges.size).toBe(3);
    exchanges.prune(t0 + LIFETIME_MS + 1);
    expect(exchanges.size).toBe(1);
    expect(exchanges.uplinkId(2, false, 'udp', t0 + LIFETIME_MS + 2)).toBe(young);
    expect(exchanges.uplinkId(1, true, 'udp', t0 + LIFETIME_MS + 2)).not.toBe(old);
  });
});
