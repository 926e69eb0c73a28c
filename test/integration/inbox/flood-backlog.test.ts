/**
 * Flood limit vs. the backlog of an outage (issue 9, "Floods"): SMS a device sent while the
 * gateway was down are stored in the inbox and read all at once when the relay starts again. The
 * per-number limit counts them at their service-centre time stamp (TP-SCTS), so a backlog spread
 * over 20 s passes whole, while SMS sent within one second are still cut to the burst. Real Redis,
 * the real inbox (PDUs accepted as the modems hand them over) and the real inbox relay; the relay
 * behind it is a recorder (what it does with a message is not under test here). The first test
 * failed before the limit used TP-SCTS (10 of 20 were dropped as rate-limited).
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { InboxRelay } from '../../../src/bridge/inbox-relay.ts';
import type { Relay } from '../../../src/bridge/relay.ts';
import { SenderPolicy } from '../../../src/bridge/sender-policy.ts';
import { FLOOD_LIMIT_DEFAULTS, SourceRateLimiter } from '../../../src/bridge/source-rate-limiter.ts';
import { RedisInbox } from '../../../src/inbox/redis-inbox.ts';
import { timestampAt } from '../../../src/sim/network/sms-centre.ts';
import { encodePdu, splitIntoSubmitPdus, type SmsDeliver } from '../../../src/sms/index.ts';
import { usePrivateRedis } from '../../support/test-scope.ts';

const { redis, server } = usePrivateRedis();

const DEVICE = '491709300001';

/** One SMS-DELIVER from {@link DEVICE} with SC time stamp `sentAtMs`, carrying `text`. */
function deliver(text: string, sentAtMs: number): string {
  const [submit] = splitIntoSubmitPdus({ destination: '+491720000001', payload: { data: Buffer.from(text) } });
  const pdu: SmsDeliver = {
    type: 'deliver', smsc: { value: '491720000000', typeOfNumber: 'international', numberingPlan: 1 },
    moreMessagesToSend: false, loopPrevention: false, replyPath: false, statusReportIndication: false,
    originator: { value: DEVICE, typeOfNumber: 'international', numberingPlan: 1 }, protocolId: 0, dcs: submit!.pdu.dcs,
    timestamp: timestampAt(sentAtMs), userData: submit!.pdu.userData,
  };
  return encodePdu(pdu).hex;
}

/** Stores `sentAtMs.length` SMS in the inbox (the outage), then starts the relay (the restart) and waits until each was relayed or cut. */
async function backlogThroughRelay(sentAtMs: readonly number[]): Promise<{ relayed: number; rateLimited: number }> {
  const inbox = new RedisInbox(redis());
  const arrivedAtMs = Date.now();
  for (const [i, at] of sentAtMs.entries()) expect(await inbox.accept({ modem: 'm1', pduHex: deliver(`sms ${i}`, at), receivedAtMs: arrivedAtMs })).toBe('message');
  const recorder = { fromSms: async () => undefined } as unknown as Relay;
  const consumer = new Redis(server().url);
  const limiter = new SourceRateLimiter({ ratePerSec: FLOOD_LIMIT_DEFAULTS.smsPerSecPerMsisdn, burst: FLOOD_LIMIT_DEFAULTS.smsBurstPerMsisdn });
  const relay = new InboxRelay(consumer, recorder, new SenderPolicy({ mode: 'open' }), { streamKey: inbox.messagesKey, rateLimiter: limiter, blockMs: 100 });
  relay.on('error', () => undefined);
  await relay.start();
  try {
    await expect.poll(() => relay.relayed + relay.rateLimited, { timeout: 20_000 }).toBe(sentAtMs.length);
    return { relayed: relay.relayed, rateLimited: relay.rateLimited };
  } finally {
    await relay.stop();
    consumer.disconnect();
  }
}

describe('flood limit and the backlog of an outage (real Redis, inbox and inbox relay)', () => {
  const base = Math.floor((Date.now() - 10 * 60_000) / 1000) * 1000; // sent 10 minutes ago, during the outage

  it('relays all 20 SMS of one number whose SC time stamps spread over 20 s, though they arrive at once after a restart', async () => {
    const sent = Array.from({ length: 20 }, (_, i) => base + i * 1100);
    expect(await backlogThroughRelay(sent)).toEqual({ relayed: 20, rateLimited: 0 });
  });

  it('still cuts 20 SMS sent within the same second to the burst (10 relayed, 10 rate-limited)', async () => {
    const sent = Array.from({ length: 20 }, () => base);
    expect(await backlogThroughRelay(sent)).toEqual({ relayed: FLOOD_LIMIT_DEFAULTS.smsBurstPerMsisdn, rateLimited: 20 - FLOOD_LIMIT_DEFAULTS.smsBurstPerMsisdn });
  });
});
