/**
 * A core given by host name (issue 7): its datagrams used to be compared with the host string,
 * so every answer of a core named `localhost` was dropped without a word. Real Redis, UDP
 * sockets on loopback and a simulated modem; the name goes through the system resolver.
 */
import { describe, expect, it } from 'vitest';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse, locationPath } from '../../../src/lwm2m/index.ts';
import { SmsDevice, UdpPeer, startGateway, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

describe('relay: the core given by host name', () => {
  it('relays the core\'s answer to a Register when the core is configured as localhost', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core, { core: { host: 'localhost', port: core.port } });
    expect(gateway.relay.coreAddress.resolved).toContain('127.0.0.1');
    const device = await SmsDevice.attach(network, '491709100001');
    await device.send(coapRequest({
      code: CoapCode.POST, messageId: 0x3101, token: Uint8Array.of(0xb1), path: ['rd'],
      query: ['ep=named-core-dev', 'lt=300', 'b=S'], contentFormat: 40, payload: '</3/0>',
    }));
    await expect.poll(() => core.received.length, { timeout: 20_000 }).toBeGreaterThan(0);
    const { message, from } = core.received.shift()!;
    core.send(coapResponse(message, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('n1') }],
    }), from.port);
    await expect.poll(() => device.received.length, { timeout: 20_000 }).toBe(1);
    expect(device.received[0]).toMatchObject({ type: 'ACK', code: CoapCode.CREATED, messageId: 0x3101 });
    expect(locationPath(device.received[0]!)).toEqual(['rd', 'n1']);
    await expect.poll(() => gateway.mirror.get('named-core-dev')?.registered, { timeout: 10_000 }).toBe(true);
  }, 60_000);

  it('drops datagrams to a device socket that do not come from the core', async () => {
    const core = await UdpPeer.open();
    const stranger = await UdpPeer.open();
    const { gateway, network } = await startGateway(core, { core: { host: 'localhost', port: core.port } });
    const device = await SmsDevice.attach(network, '491709100002');
    await device.send(coapRequest({
      code: CoapCode.POST, messageId: 0x3201, token: Uint8Array.of(0xb2), path: ['rd'],
      query: ['ep=named-core-dev2', 'lt=300', 'b=S'], contentFormat: 40, payload: '</3/0>',
    }));
    await expect.poll(() => core.received.length, { timeout: 20_000 }).toBeGreaterThan(0);
    const { message, from } = core.received.shift()!;
    const fromCoreBefore = gateway.relay.counters.fromCore;
    stranger.send(coapResponse(message, CoapCode.CREATED), from.port); // not the core's port
    core.send(coapResponse(message, CoapCode.CREATED, undefined, {
      options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('n2') }],
    }), from.port);
    await expect.poll(() => device.received.length, { timeout: 20_000 }).toBe(1);
    expect(locationPath(device.received[0]!)).toEqual(['rd', 'n2']);
    expect(gateway.relay.counters.fromCore - fromCoreBefore).toBe(1); // the stranger's datagram was not taken
  }, 60_000);
});
