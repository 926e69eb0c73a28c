/**
 * A registered device whose core-facing socket is missing: after a restart its recorded port is
 * held by another program and no other port of the range is free, so it waits for its address.
 * What its messages get (src/bridge/uplink-refusals.ts `noSocket`): a CON request over UDP 5.03
 * with Max-Age (RFC 7252 §5.9.3.4), a CON notification nothing (the device retransmits it, and a
 * retransmission is relayed once the socket is back), a CoAP ping (an empty CON, RFC 7252 §4.3)
 * nothing either (its Reset is the core's, once the socket is back), an SMS nothing; each drop
 * says what it was.
 * A real gateway (private Redis, simulated network and modem), a scripted UDP core, UDP devices
 * on loopback (raw sockets, and node-coap as an independent CoAP client), an SMS device, and the
 * ports held by real child processes.
 */
import { Agent, request as coapClientRequest, type IncomingMessage } from 'coap';
import { describe, expect, it } from 'vitest';
import { holdPortsElsewhere } from '../../support/port-holder.ts';
import { CoapCode, CoapOptionNumber, coapPing, coapRequest, coapReset, coapResponse, firstUintOption, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { NO_SOCKET_RETRY_AFTER_SEC } from '../../../src/bridge/uplink-refusals.ts';
import { Gateway } from '../../../src/gateway/gateway.ts';
import { SmsDevice, UdpPeer, onCleanup, startGateway, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

const token = (n: number): Uint8Array => Uint8Array.of(0xc0, n);
const REGISTER_QUERY = (endpoint: string, binding: 'U' | 'S'): string[] => [`ep=${endpoint}`, 'lt=300', 'lwm2m=1.0', `b=${binding}`];

function register(endpoint: string, messageId: number, binding: 'U' | 'S' = 'U'): CoapMessage {
  return coapRequest({ code: CoapCode.POST, messageId, token: token(messageId & 0xff), path: ['rd'], query: REGISTER_QUERY(endpoint, binding), contentFormat: 40, payload: '</1/0>,</3/0>' });
}

function created(request: CoapMessage, id: string): CoapMessage {
  return coapResponse(request, CoapCode.CREATED, undefined, { options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(id) }] });
}

/** The core answers the next request it received (a Register) with 2.01 /rd/<id>; resolves with the core-facing port it came from. */
async function coreAccepts(core: UdpPeer, id: string): Promise<number> {
  await expect.poll(() => core.received.length, { timeout: 10_000 }).toBeGreaterThan(0);
  const { message, from } = core.received.shift()!;
  core.send(created(message, id), from.port, from.address);
  return from.port;
}

/** A CON request with node-coap from `agent`'s socket; resolves with the response. */
function nodeCoapPost(agent: Agent, gatewayPort: number, pathname: string, query?: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = coapClientRequest({ hostname: '127.0.0.1', port: gatewayPort, method: 'POST', pathname, ...(query === undefined ? {} : { query }), agent, confirmable: true });
    req.on('response', resolve);
    req.on('error', reject);
    req.end(Buffer.from('</1/0>,</3/0>'));
  });
}

/** UDP sockets held by another process until the test ends (or the returned function runs). */
async function holdPortsHere(host: string, ports: readonly number[]): Promise<() => Promise<void>> {
  const stop = await holdPortsElsewhere(host, ports);
  onCleanup(stop);
  return stop;
}

describe('a known device whose core-facing socket is missing', () => {
  it('gets 5.03 with Max-Age for a CON request, nothing for a CON notification or a CoAP ping (relayed when it retransmits after the socket is back), nothing by SMS; each drop says so', async () => {
    const core = await UdpPeer.open();
    const { gateway, network, config } = await startGateway(core, { coreSockets: { bindHosts: ['127.0.0.1'], portRange: [23_210, 23_213] } });
    // ks-a keeps its socket; ks-b (node-coap), ks-c (raw UDP) and ks-s (SMS) will wait for theirs.
    const a = await UdpPeer.open();
    a.send(register('ks-a', 0x100), gateway.udpAddress.port);
    await coreAccepts(core, 'ra');
    const agent = new Agent({ type: 'udp4' });
    onCleanup(async () => agent.close());
    const registeredB = nodeCoapPost(agent, gateway.udpAddress.port, '/rd', REGISTER_QUERY('ks-b', 'U').join('&'));
    const portB = await coreAccepts(core, 'rb');
    expect((await registeredB).code).toBe('2.01');
    const c = await UdpPeer.open();
    c.send(register('ks-c', 0x102), gateway.udpAddress.port);
    const portC = await coreAccepts(core, 'rc');
    const sms = await SmsDevice.attach(network, '491709200001');
    await sms.send(register('ks-s', 0x103, 'S'));
    const portS = await coreAccepts(core, 'rs');
    await expect.poll(() => ['ks-a', 'ks-b', 'ks-c', 'ks-s'].every((name) => gateway.mirror.get(name)?.registered), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => sms.received.length, { timeout: 10_000 }).toBe(1); // its 2.01
    await gateway.stop();

    const releaseC = await holdPortsHere('127.0.0.1', [portC]);
    await holdPortsHere('127.0.0.1', [portB, portS]);
    const restarted = await Gateway.start(config);
    onCleanup(() => restarted.stop());
    const sockets = restarted.events.sockets;
    expect([...sockets.pendingEndpoints].sort()).toEqual(['ks-b', 'ks-c', 'ks-s']);
    const drops: { reason: string; endpoint: string | null; detail: string }[] = [];
    restarted.relay.on('dropped', (drop) => drops.push(drop));
    a.received.length = 0;
    c.received.length = 0;
    sms.received.length = 0;
    const smsBefore = sms.smsReceived;

    // A CON notification (RFC 7641): not acknowledged, so the device retransmits it.
    const notification: CoapMessage = { ...coapResponse(coapRequest({ code: CoapCode.GET, messageId: 1, token: token(0x30), path: ['3', '0'] }), CoapCode.CONTENT, 'v1', { options: [{ number: CoapOptionNumber.OBSERVE, value: Uint8Array.of(2) }] }), type: 'CON', messageId: 0x300 };
    c.send(notification, restarted.udpAddress.port);
    await expect.poll(() => drops.length, { timeout: 5000 }).toBe(1);
    expect(drops[0]).toMatchObject({ reason: 'no-socket', endpoint: 'ks-c' });
    expect(drops[0]!.detail).toMatch(/^CON response over udp not acknowledged .*no free port/);
    // A CoAP ping (an empty CON, RFC 7252 §4.3): a ping, not a response; no Reset from the gateway (the core is not reachable).
    c.send(coapPing(0x303), restarted.udpAddress.port);
    await expect.poll(() => drops.length, { timeout: 5000 }).toBe(2);
    expect(drops[1]).toMatchObject({ reason: 'no-socket', endpoint: 'ks-c' });
    expect(drops[1]!.detail).toMatch(/^CON ping over udp not answered \(a Reset would say the server is reachable; the device retransmits it\): .*no free port/);
    // Then an Update from the same device: its 5.03 is the first thing it receives (no ACK, no RST came before).
    c.send(coapRequest({ code: CoapCode.POST, messageId: 0x301, token: token(0x31), path: ['rd', 'rc'] }), restarted.udpAddress.port);
    await expect.poll(() => c.received.length, { timeout: 5000 }).toBe(1);
    const answer = c.received[0]!.message;
    expect(answer).toMatchObject({ type: 'ACK', code: CoapCode.SERVICE_UNAVAILABLE, messageId: 0x301 });
    expect([...answer.token]).toEqual([...token(0x31)]);
    expect(firstUintOption(answer, CoapOptionNumber.MAX_AGE)).toBe(NO_SOCKET_RETRY_AFTER_SEC);
    expect(drops[2]).toMatchObject({ reason: 'no-socket', endpoint: 'ks-c' });
    expect(drops[2]!.detail).toMatch(new RegExp(`^CON request over udp answered 5.03 Max-Age ${NO_SOCKET_RETRY_AFTER_SEC}: `));

    // node-coap, an independent client, reads the same 5.03 and its Max-Age for an Update.
    const updated = await nodeCoapPost(agent, restarted.udpAddress.port, '/rd/rb');
    expect(updated.code).toBe('5.03');
    expect(updated.headers['Max-Age']).toBe(NO_SOCKET_RETRY_AFTER_SEC);
    expect(drops[3]).toMatchObject({ reason: 'no-socket', endpoint: 'ks-b' });

    // By SMS: dropped, never answered (an SMS answer costs money).
    const downlinkSms = restarted.relay.counters.downlinkSms;
    await sms.send(coapRequest({ code: CoapCode.POST, messageId: 0x302, token: token(0x32), path: ['rd', 'rs'] }));
    await expect.poll(() => drops.length, { timeout: 10_000 }).toBe(5);
    expect(drops[4]).toMatchObject({ reason: 'no-socket', endpoint: 'ks-s' });
    expect(drops[4]!.detail).toMatch(/^CON request over sms not answered \(an SMS answer costs money\)/);
    expect(restarted.relay.counters.downlinkSms).toBe(downlinkSms);
    expect(sms.smsReceived).toBe(smsBefore);
    expect(core.received).toEqual([]);

    // The port frees; the pool binds it again, and the notification's retransmission reaches the core from ks-c's port.
    const rebound = sockets.next('rebound');
    await releaseC();
    expect((await rebound)[0]).toMatchObject({ endpoint: 'ks-c', address: { port: portC } });
    c.send(notification, restarted.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    expect(core.received[0]!.from.port).toBe(portC);
    expect(core.received[0]!.message).toMatchObject({ type: 'CON', code: CoapCode.CONTENT });
    // The ping's retransmission reaches the core too, and the core's Reset reaches the device with the ping's Message ID.
    core.received.length = 0;
    c.received.length = 0;
    c.send(coapPing(0x303), restarted.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: 5000 }).toBe(1);
    const ping = core.received[0]!;
    expect(ping.from.port).toBe(portC);
    expect(ping.message).toMatchObject({ type: 'CON', code: CoapCode.EMPTY });
    core.send(coapReset(ping.message.messageId), ping.from.port, ping.from.address);
    await expect.poll(() => c.received.length, { timeout: 5000 }).toBe(1);
    expect(c.received[0]!.message).toMatchObject({ type: 'RST', code: CoapCode.EMPTY, messageId: 0x303 });
    expect(drops).toHaveLength(5);
  });
});
