/**
 * The core-facing sockets across gateway restarts, and what a device leaves behind when it goes:
 * a real gateway (private Redis, simulated modem), a scripted UDP core and UDP devices on
 * loopback; another program holding a port is a real child process. Port ranges lie below the
 * kernel's ephemeral range (32768+), so no other test's socket lands in them by chance.
 */
import { describe, expect, it } from 'vitest';
import { holdPortsElsewhere } from '../../support/port-holder.ts';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse, firstUintOption, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { NO_SOCKET_RETRY_AFTER_SEC } from '../../../src/bridge/uplink-refusals.ts';
import { Gateway } from '../../../src/gateway/gateway.ts';
import type { GatewayConfig } from '../../../src/gateway/gateway-config.ts';
import { UdpPeer, onCleanup, startGateway, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

const token = (n: number): Uint8Array => Uint8Array.of(0xb0, n);

function register(endpoint: string, messageId: number, lifetimeSec = 300): CoapMessage {
  return coapRequest({
    code: CoapCode.POST, messageId, token: token(messageId & 0xff), path: ['rd'],
    query: [`ep=${endpoint}`, `lt=${lifetimeSec}`, 'lwm2m=1.0', 'b=U'], contentFormat: 40, payload: '</1/0>,</3/0>',
  });
}

function created(request: CoapMessage, id: string): CoapMessage {
  return coapResponse(request, CoapCode.CREATED, undefined, {
    options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(id) }],
  });
}

/** The core answers the next request it received (a Register) with 2.01 /rd/<id>; resolves with where it came from. */
async function coreAccepts(core: UdpPeer, id: string): Promise<{ address: string; port: number }> {
  await expect.poll(() => core.received.length, { timeout: 10_000 }).toBeGreaterThan(0);
  const { message, from } = core.received.shift()!;
  expect(message.code).toBe(CoapCode.POST);
  core.send(created(message, id), from.port, from.address);
  return { address: from.address, port: from.port };
}

/** Registers `count` UDP devices one after another; resolves with each device's peer and core-facing address. */
async function registerDevices(gateway: Gateway, core: UdpPeer, names: readonly string[]): Promise<Map<string, { peer: UdpPeer; address: string; port: number }>> {
  const devices = new Map<string, { peer: UdpPeer; address: string; port: number }>();
  for (const [index, name] of names.entries()) {
    const peer = await UdpPeer.open();
    peer.send(register(name, 0x7000 + index), gateway.udpAddress.port);
    devices.set(name, { peer, ...(await coreAccepts(core, `r${index}`)) });
    await expect.poll(() => gateway.mirror.get(name)?.registered, { timeout: 5000 }).toBe(true);
  }
  return devices;
}

/** A UDP socket held by another process on `host:port` until the test ends (or the returned function runs). */
async function holdPortElsewhere(host: string, port: number): Promise<() => Promise<void>> {
  const stop = await holdPortsElsewhere(host, [port]);
  onCleanup(stop);
  return stop;
}

describe('core sockets across a restart', () => {
  it('comes up when one recorded port is held by another process, binds the others on their ports, and binds that one once the port frees', async () => {
    const core = await UdpPeer.open();
    const overrides: Partial<GatewayConfig> = { coreSockets: { bindHosts: ['127.0.0.1'], portRange: [23_100, 23_139] } };
    const { gateway, config } = await startGateway(core, overrides);
    const devices = await registerDevices(gateway, core, ['rs-a', 'rs-b', 'rs-c']);
    await gateway.stop();
    const taken = devices.get('rs-b')!;
    const release = await holdPortElsewhere('127.0.0.1', taken.port);

    const restarted = await Gateway.start(config);
    onCleanup(() => restarted.stop());
    const sockets = restarted.events.sockets;
    expect(sockets.pendingEndpoints).toEqual(['rs-b']);
    expect(sockets.counters.bindFailures).toBeGreaterThanOrEqual(1);
    expect(sockets.lastRestore).toMatchObject({ recorded: 3, bound: 2, unbound: 1 });
    // What the admin API and /metrics report (smsbridge_core_sockets{state="waiting"}).
    expect((await restarted.status()).coreSockets).toMatchObject({ open: 2, waiting: 1, bound: 2 });
    for (const name of ['rs-a', 'rs-c']) {
      const device = devices.get(name)!;
      device.peer.send(coapRequest({ code: CoapCode.POST, messageId: 0x7100, token: token(0x71), path: ['rd', `r${name === 'rs-a' ? 0 : 2}`] }), restarted.udpAddress.port);
      await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
      expect(core.received.shift()!.from.port).toBe(device.port);
    }

    const rebound = sockets.next('rebound');
    await release();
    const [event] = await rebound; // the maintenance timer retries it
    expect(event).toEqual({ endpoint: 'rs-b', address: { host: '127.0.0.1', port: taken.port } });
    // The core reaches the device through the port it knew before the restart.
    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x7200, token: token(0x72), path: ['3', '0'] }), taken.port);
    await expect.poll(() => taken.peer.received.some((r) => r.message.code === CoapCode.GET), { timeout: 5000 }).toBe(true);
    expect(sockets.pendingEndpoints).toEqual([]);
    expect((await restarted.status()).coreSockets).toMatchObject({ open: 3, waiting: 0, bound: 3 });
  });

  it('spreads devices over several bind addresses and binds each on its recorded host:port after a restart', async () => {
    const core = await UdpPeer.open();
    const overrides: Partial<GatewayConfig> = { coreSockets: { bindHosts: ['127.0.0.1', '127.0.0.2'], portRange: [23_150, 23_159] } };
    const { gateway, config } = await startGateway(core, overrides);
    const names = ['ma-0', 'ma-1', 'ma-2', 'ma-3'];
    const devices = await registerDevices(gateway, core, names);
    const hosts = new Set([...devices.values()].map((d) => d.address));
    expect([...hosts].sort()).toEqual(['127.0.0.1', '127.0.0.2']);
    const addresses = new Set([...devices.values()].map((d) => `${d.address}:${d.port}`));
    expect(addresses.size).toBe(names.length);
    await gateway.stop();

    const restarted = await Gateway.start(config);
    onCleanup(() => restarted.stop());
    expect(restarted.events.sockets.pendingEndpoints).toEqual([]);
    for (const [index, name] of names.entries()) {
      const device = devices.get(name)!;
      device.peer.send(coapRequest({ code: CoapCode.POST, messageId: 0x7300 + index, token: token(0x73), path: ['rd', `r${index}`] }), restarted.udpAddress.port);
      await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
      const { from } = core.received.shift()!;
      expect(`${from.address}:${from.port}`).toBe(`${device.address}:${device.port}`);
    }
  });
});

describe('what a device leaves behind', () => {
  it('frees the exchange state and the socket of a device that deregisters, and of one whose registration lapses', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core, { coreSockets: { bindHosts: ['127.0.0.1'], portRange: [23_170, 23_179] } });
    const devices = await registerDevices(gateway, core, ['gone-a']);
    const a = devices.get('gone-a')!;
    expect(gateway.relay.devicesWithExchanges).toBe(1);
    expect(gateway.events.sockets.size).toBe(1);

    a.peer.send(coapRequest({ code: CoapCode.DELETE, messageId: 0x7400, token: token(0x74), path: ['rd', 'r0'] }), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    core.send(coapResponse(core.received.shift()!.message, CoapCode.DELETED), a.port);
    await expect.poll(() => a.peer.received.length, { timeout: 5000 }).toBe(2); // after the 2.01, the 2.02 still reaches it
    expect(a.peer.received[1]!.message.code).toBe(CoapCode.DELETED);
    await expect.poll(() => gateway.events.sockets.size, { timeout: 5000 }).toBe(0);
    expect(gateway.relay.devicesWithExchanges).toBe(0);
    expect(gateway.events.sockets.addressOf('gone-a')).toBeNull();

    // Lapsed: lt=1 and no message since; the maintenance timer finds it.
    const lapsing = await UdpPeer.open();
    lapsing.send(register('gone-b', 0x7500, 1), gateway.udpAddress.port);
    await coreAccepts(core, 'r9');
    await gateway.mirror.next('lost');
    await expect.poll(() => gateway.events.sockets.size, { timeout: 5000 }).toBe(0);
    expect(gateway.relay.devicesWithExchanges).toBe(0);
  });
});

describe('a Register the gateway cannot give a socket', () => {
  it('is dropped as no-socket, answered 5.03 with Max-Age (RFC 7252 §5.9.3.4), and leaves no record, in memory or in Redis', async () => {
    const core = await UdpPeer.open();
    // Two ports, so the admission's total limit (the ports of the range) lets both Registers in;
    // another program holds the second one.
    await holdPortElsewhere('127.0.0.1', 23_191);
    const { gateway, config } = await startGateway(core, { coreSockets: { bindHosts: ['127.0.0.1'], portRange: [23_190, 23_191] } });
    await registerDevices(gateway, core, ['only-one']); // takes the one port left
    const dropped = gateway.relay.next('dropped');
    const second = await UdpPeer.open();
    second.send(register('no-room', 0x7600), gateway.udpAddress.port);
    const [event] = await dropped;
    expect(event).toMatchObject({ reason: 'no-socket', endpoint: 'no-room' });
    expect(event.detail).toMatch(/no free port/);
    // The device is told to back off rather than left to retransmit into the void.
    await expect.poll(() => second.received.length, { timeout: 5000 }).toBeGreaterThan(0);
    const answer = second.received[0]!.message;
    expect(answer).toMatchObject({ type: 'ACK', code: CoapCode.SERVICE_UNAVAILABLE, messageId: 0x7600 });
    expect([...answer.token]).toEqual([...token(0x00)]);
    expect(firstUintOption(answer, CoapOptionNumber.MAX_AGE)).toBe(NO_SOCKET_RETRY_AFTER_SEC);
    expect(gateway.mirror.get('no-room')).toBeUndefined();
    await gateway.stop();
    const restarted = await Gateway.start(config); // what Redis kept
    onCleanup(() => restarted.stop());
    expect(restarted.mirror.list().map((record) => record.endpoint)).toEqual(['only-one']);
    expect(restarted.events.sockets.pendingEndpoints).toEqual([]);
  });
});
