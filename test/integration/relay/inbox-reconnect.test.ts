/**
 * Redis restarted under load (issue 9; found by the redis-restart scenario, full run: one Update
 * lost, one inbox entry left pending). When the connection of the inbox consumer drops while its
 * XREADGROUP is being served, Redis may have delivered entries (now pending for the consumer)
 * whose reply never arrived; ioredis sends the command again, which reads only new entries, so
 * those stayed pending and were never relayed. Here the lost reply is made exactly: the entry is
 * added and delivered to the gateway's consumer in one transaction, then every client connection
 * is killed. The gateway must relay it once its connection is back.
 */
import { describe, expect, it } from 'vitest';
import { CoapCode, coapRequest, encodeCoap, uriQuery } from '../../../src/lwm2m/index.ts';
import { fixtureRedis, startGateway, UdpPeer, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

describe('the inbox consumer after its Redis connection dropped', () => {
  it('relays an entry that was delivered to it while the reply was lost (pending), once the connection is back', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core);
    const register = encodeCoap(coapRequest({
      code: CoapCode.POST, messageId: 0x4401, token: Uint8Array.of(0x44, 0x01), path: ['rd'],
      query: ['ep=pending-meter', 'lt=300', 'lwm2m=1.0', 'b=S'], contentFormat: 40, payload: '</1/0>,</3/0>',
    }));
    const message = {
      id: 'pending-1', originator: '+491709600001', timestampIso: new Date().toISOString(), encoding: '8bit', dataHex: Buffer.from(register).toString('hex'),
      text: null, ports: null, parts: 1, modems: ['gw-modem'], firstReceivedAtMs: Date.now(),
    };
    const redis = fixtureRedis();
    const key = gateway.inbox.messagesKey;
    // Added and delivered to the gateway's consumer at once: what a served read whose reply was lost leaves.
    const results = await redis.multi().xadd(key, '*', 'message', JSON.stringify(message)).xreadgroup('GROUP', 'relay', 'gateway', 'COUNT', 1, 'STREAMS', key, '>').exec();
    expect(results?.every(([error]) => error === null)).toBe(true);
    expect(((await redis.xpending(key, 'relay')) as [number])[0]).toBe(1);

    await redis.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes'); // the gateway's connections drop and come back
    await expect.poll(() => core.received.some((r) => uriQuery(r.message).includes('ep=pending-meter')), { timeout: 30_000 }).toBe(true);
    await expect.poll(async () => ((await redis.xpending(key, 'relay')) as [number])[0], { timeout: 30_000 }).toBe(0);
    expect(core.received.filter((r) => uriQuery(r.message).includes('ep=pending-meter'))).toHaveLength(1);
  });
});
