import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisInbox } from '../../../src/inbox/redis-inbox.ts';
import { encodePdu, splitIntoSubmitPdus, type SmsDeliver, type SmsSubmit } from '../../../src/sms/index.ts';
import { usePrivateRedis } from '../../support/test-scope.ts';

const { redis, server } = usePrivateRedis();

/** SMS-DELIVER PDUs (SMSC field first) carrying `data` from `originator`, split like a sender would. */
function deliverPdus(originator: string, data: Uint8Array, second = 7, reference = 0x42): string[] {
  return splitIntoSubmitPdus({ destination: '+491720000001', payload: { data }, concatReference: reference }).map(({ pdu }) =>
    toDeliver(pdu, originator, second),
  );
}

function toDeliver(submit: SmsSubmit, originator: string, second: number): string {
  const deliver: SmsDeliver = {
    type: 'deliver', smsc: { value: '491720000000', typeOfNumber: 'international', numberingPlan: 1 },
    moreMessagesToSend: false, loopPrevention: false, replyPath: false, statusReportIndication: false,
    originator: { value: originator, typeOfNumber: 'international', numberingPlan: 1 }, protocolId: 0, dcs: submit.dcs,
    timestamp: { year: 2026, month: 11, day: 23, hour: 18, minute: 0, second, offsetQuarterHours: 4 }, userData: submit.userData,
  };
  return encodePdu(deliver).hex;
}

const payload = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff);

describe('RedisInbox (real Redis)', () => {
  it('publishes a single SMS once, however often it is accepted', async () => {
    const inbox = new RedisInbox(redis());
    const [pdu] = deliverPdus('491700000001', payload(40));
    expect(await inbox.accept({ modem: 'a', pduHex: pdu!, receivedAtMs: 1 })).toBe('message');
    expect(await inbox.accept({ modem: 'a', pduHex: pdu!, receivedAtMs: 2 })).toBe('duplicate');
    expect(await inbox.accept({ modem: 'b', pduHex: pdu!, receivedAtMs: 3 })).toBe('duplicate');
    const messages = await inbox.messages();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.message).toMatchObject({
      originator: '+491700000001', encoding: '8bit', dataHex: Buffer.from(payload(40)).toString('hex'), parts: 1, modems: ['a'],
      timestampIso: '2026-11-23T18:00:07+01:00',
    });
  });

  it('SMS accepted back to back share round trips: each resolves once its own write ran, duplicates in one batch still publish once', async () => {
    const inbox = new RedisInbox(redis());
    const pdus = Array.from({ length: 20 }, (_, i) => deliverPdus(`4917000010${String(i).padStart(2, '0')}`, payload(30 + i))[0]!);
    const outcomes = await Promise.all([...pdus, pdus[3]!].map((pduHex, i) => inbox.accept({ modem: 'a', pduHex, receivedAtMs: i })));
    expect(outcomes.filter((o) => o === 'message')).toHaveLength(20);
    expect(outcomes[20]).toBe('duplicate');
    // Accepted in one turn of the event loop (as a batch read with AT+CMGL): one round trip for all 21.
    expect(inbox.writeStats).toMatchObject({ calls: 21, roundTrips: 1 });
    const messages = await inbox.messages();
    expect(messages).toHaveLength(20);
    expect(new Set(messages.map((m) => m.message.originator)).size).toBe(20);
  });

  it('accepts whose round trip fails all reject (alone and batched), and later accepts work again', async () => {
    const other = new Redis(server().url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    const inbox = new RedisInbox(other);
    const pdus = Array.from({ length: 4 }, (_, i) => deliverPdus(`4917000020${i}`, payload(20 + i))[0]!);
    const lone = inbox.accept({ modem: 'a', pduHex: pdus[0]!, receivedAtMs: 0 });
    await Promise.resolve(); // the first round trip has started with the lone accept; the next two share the second
    const batched = pdus.slice(1, 3).map((pduHex, i) => inbox.accept({ modem: 'a', pduHex, receivedAtMs: i + 1 }));
    const settled = await Promise.allSettled([lone, ...batched]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(inbox.writeStats.roundTrips).toBe(2);
    // The first command made the lazy client connect; once it is ready the inbox works again.
    if (other.status !== 'ready') await new Promise((resolve) => other.once('ready', resolve));
    try {
      expect(await inbox.accept({ modem: 'a', pduHex: pdus[3]!, receivedAtMs: 9 })).toBe('message');
    } finally {
      other.disconnect();
    }
  });

  it('reassembles a concatenated message out of order and across modems, once', async () => {
    const inbox = new RedisInbox(redis());
    const parts = deliverPdus('491700000002', payload(400)); // 3 parts of 134, 134, 132 octets
    expect(parts).toHaveLength(3);
    expect(await inbox.accept({ modem: 'b', pduHex: parts[2]!, receivedAtMs: 10 })).toBe('part');
    expect(await inbox.accept({ modem: 'a', pduHex: parts[0]!, receivedAtMs: 11 })).toBe('part');
    expect(await inbox.messages()).toHaveLength(0);
    expect(await inbox.accept({ modem: 'a', pduHex: parts[0]!, receivedAtMs: 12 })).toBe('duplicate');
    expect(await inbox.accept({ modem: 'a', pduHex: parts[1]!, receivedAtMs: 13 })).toBe('part');
    const messages = await inbox.messages();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.message.dataHex).toBe(Buffer.from(payload(400)).toString('hex'));
    expect(messages[0]?.message.parts).toBe(3);
    expect([...(messages[0]?.message.modems ?? [])].sort()).toEqual(['a', 'b']);
    expect(messages[0]?.message.firstReceivedAtMs).toBe(10);
    // A late duplicate of a part of a finished set changes nothing.
    expect(await inbox.accept({ modem: 'b', pduHex: parts[1]!, receivedAtMs: 14 })).toBe('duplicate');
    expect(await inbox.messages()).toHaveLength(1);
    expect(await redis().keys('smsbridge:inbox:parts:*')).toEqual([]);
  });

  it('keeps many sets in flight apart (same reference from two originators, two references from one)', async () => {
    const inbox = new RedisInbox(redis());
    const sets = [
      deliverPdus('491700000003', payload(200), 1, 5),
      deliverPdus('491700000004', payload(201), 1, 5),
      deliverPdus('491700000003', payload(202), 2, 6),
    ];
    const interleaved = [0, 1].flatMap((i) => sets.map((set) => set[i]!));
    for (const pdu of interleaved) await inbox.accept({ modem: 'a', pduHex: pdu, receivedAtMs: 1 });
    const lengths = (await inbox.messages()).map((m) => m.message.dataHex.length / 2).sort();
    expect(lengths).toEqual([200, 201, 202]);
  });

  it('finishes a complete set after a crash between storing the last part and publishing', async () => {
    const inbox = new RedisInbox(redis());
    const parts = deliverPdus('491700000005', payload(300));
    await inbox.accept({ modem: 'a', pduHex: parts[0]!, receivedAtMs: 1 });
    await inbox.accept({ modem: 'a', pduHex: parts[1]!, receivedAtMs: 2 });
    // The crash: the last part is stored exactly as accept() stores it, but nothing publishes it.
    const [partsKey] = await redis().keys('smsbridge:inbox:parts:*');
    await redis().hset(partsKey!, '3', JSON.stringify({ sequence: 3, pduHex: parts[2], modem: 'a', receivedAtMs: 3 }));
    expect(await inbox.messages()).toHaveLength(0);
    expect(await inbox.maintain(4)).toEqual({ completed: 1, expired: 0 });
    expect((await inbox.messages())[0]?.message.dataHex).toBe(Buffer.from(payload(300)).toString('hex'));
    expect(await inbox.maintain(5)).toEqual({ completed: 0, expired: 0 });
  });

  it('gives up an incomplete set after the reassembly timeout and keeps its parts for people', async () => {
    const inbox = new RedisInbox(redis(), { reassemblyTimeoutSec: 60 });
    const parts = deliverPdus('491700000006', payload(300));
    await inbox.accept({ modem: 'a', pduHex: parts[0]!, receivedAtMs: 1_000 });
    expect(await inbox.maintain(1_000 + 59_000)).toEqual({ completed: 0, expired: 0 });
    expect(await inbox.maintain(1_000 + 60_000)).toEqual({ completed: 0, expired: 1 });
    const incomplete = await redis().xrange('smsbridge:inbox:incomplete', '-', '+');
    expect(incomplete).toHaveLength(1);
    expect(JSON.stringify(incomplete[0])).toContain(parts[0]!);
    expect(await inbox.messages()).toHaveLength(0);
  });

  it('keeps a PDU it cannot decode, with the reason, instead of losing it', async () => {
    const inbox = new RedisInbox(redis());
    expect(await inbox.accept({ modem: 'a', pduHex: '07911326', receivedAtMs: 1 })).toBe('malformed');
    const kept = await inbox.malformed();
    expect(kept).toEqual([{ modem: 'a', pduHex: '07911326', receivedAtMs: 1, error: expect.stringContaining('SMSC') }]);
  });
});
