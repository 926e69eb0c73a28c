/**
 * The SMS tunnel: datagrams from a UDP LwM2M client travel as SMS from the tunnel's number to the
 * gateway's, and SMS from the gateway come back as datagrams.
 *
 *   UDP client ── udp://127.0.0.1:<port> ── SmsTunnel ── SimNetwork ── TestGateway
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse, encodeCoap, uriQuery } from '../../../src/lwm2m/index.ts';
import { SimDevice, SmsTunnel } from '../../../src/sim/device/index.ts';
import { SimNetworkClient } from '../../../src/sim/network/network-client.ts';
import { SimNetwork } from '../../../src/sim/network/sim-network.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { Cleanups, DEVICE_NUMBER, GATEWAY_NUMBER, TestGateway, sleep } from './fixture.ts';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function setup(): Promise<{ network: SimNetwork; gateway: TestGateway; tunnel: SmsTunnel }> {
  const network = cleanups.add(await SimNetwork.start({ deliveryDelayMs: 0 }), (n) => n.stop());
  const gateway = cleanups.add(await TestGateway.attach(network), (g) => g.close());
  const tunnel = cleanups.add(
    await SmsTunnel.start({ msisdn: DEVICE_NUMBER, listen: { host: '127.0.0.1', port: 0 }, network: network.address, gatewayNumber: GATEWAY_NUMBER }),
    (t) => t.stop(),
  );
  return { network, gateway, tunnel };
}

async function udpClient(): Promise<{ socket: Socket; received: Uint8Array[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  cleanups.add(socket, (s) => new Promise<void>((resolve) => s.close(() => resolve())));
  const received: Uint8Array[] = [];
  socket.on('message', (message) => received.push(new Uint8Array(message)));
  return { socket, received };
}

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

describe('SMS tunnel', () => {
  it('carries a datagram each way', async () => {
    const { gateway, tunnel } = await setup();
    const client = await udpClient();
    const up = bytes(40, 1);
    client.socket.send(up, tunnel.address.port, tunnel.address.host);
    const message = await gateway.next(0);
    expect(message).toMatchObject({ from: '491700000101', parts: 1 });
    expect(Buffer.from(message.bytes).equals(Buffer.from(up))).toBe(true);

    const down = bytes(30, 2);
    expect(await gateway.send(DEVICE_NUMBER, down)).toBe(1);
    await expect.poll(() => client.received.length).toBe(1);
    expect(Buffer.from(client.received[0]!).equals(Buffer.from(down))).toBe(true);
    expect(tunnel.stats).toMatchObject({ datagramsIn: 1, datagramsOut: 1, smsSent: 1, smsReceived: 1, smsIgnored: 0 });
  });

  it('concatenates datagrams over 140 bytes in both directions', async () => {
    const { gateway, tunnel } = await setup();
    const client = await udpClient();
    const up = bytes(300, 3);
    client.socket.send(up, tunnel.address.port, tunnel.address.host);
    const message = await gateway.next(0);
    expect(message.parts).toBe(3); // 134 + 134 + 32
    expect(Buffer.from(message.bytes).equals(Buffer.from(up))).toBe(true);

    const down = bytes(200, 4);
    expect(await gateway.send(DEVICE_NUMBER, down)).toBe(2);
    await expect.poll(() => client.received.length).toBe(1);
    expect(Buffer.from(client.received[0]!).equals(Buffer.from(down))).toBe(true);
    expect(tunnel.stats).toMatchObject({ smsSent: 3, smsReceived: 2, datagramsIn: 1, datagramsOut: 1 });
  });

  it('keeps the order of datagrams sent back to back', async () => {
    const { gateway, tunnel } = await setup();
    const client = await udpClient();
    for (let i = 0; i < 5; i++) client.socket.send(Uint8Array.of(i, ...bytes(150, i)), tunnel.address.port, tunnel.address.host);
    await gateway.next(4);
    expect(gateway.messages.map((m) => m.bytes[0])).toStrictEqual([0, 1, 2, 3, 4]);
  });

  it('hands SMS from the gateway to no one before a client spoke, and ignores SMS from other numbers', async () => {
    const { network, gateway, tunnel } = await setup();
    await gateway.send(DEVICE_NUMBER, bytes(10, 5));
    await expect.poll(() => tunnel.stats.datagramsDropped).toBe(1);

    const client = await udpClient();
    client.socket.send(bytes(5, 6), tunnel.address.port, tunnel.address.host);
    await gateway.next(0);
    const stranger = cleanups.add(await SimNetworkClient.connect({ ...network.address, msisdn: '+491700000666' }), (c) => c.close());
    const [part] = splitIntoSubmitPdus({ destination: DEVICE_NUMBER, payload: { data: bytes(10, 7) } });
    await stranger.submit(part!.hex.slice(2));
    await expect.poll(() => tunnel.stats.smsIgnored).toBe(1);
    await sleep(100);
    expect(client.received).toHaveLength(0);
  });

  it('makes a UDP-only LwM2M client an SMS device', async () => {
    const { gateway, tunnel } = await setup();
    // A device that believes it talks UDP to a server: its server address is the tunnel.
    const device = cleanups.add(
      await SimDevice.start({ msisdn: '+491700000555', endpoint: 'tunnelled', binding: 'U', udp: tunnel.address, deregisterOnStop: false }),
      (d) => d.stop(),
    );
    const register = await gateway.nextCoap((m) => m.code === CoapCode.POST);
    expect(register.from).toBe('491700000101'); // the tunnel's number, not the device's own
    expect(uriQuery(register.message)).toContain('ep=tunnelled');
    const options = ['rd', 't1'].map((segment) => ({ number: CoapOptionNumber.LOCATION_PATH, value: new TextEncoder().encode(segment) }));
    await gateway.send(DEVICE_NUMBER, encodeCoap(coapResponse(register.message, CoapCode.CREATED, undefined, { options })));
    expect(await device.whenRegistered()).toMatchObject({ location: '/rd/t1' });
    // And a request from the gateway reaches it through the tunnel.
    await gateway.send(DEVICE_NUMBER, encodeCoap(coapRequest({ code: CoapCode.GET, messageId: 0x6001, path: ['3', '0', '1'] })));
    const answer = await gateway.nextCoap((m) => m.messageId === 0x6001);
    expect(Buffer.from(answer.message.payload).toString()).toBe('sim-device');
    expect(tunnel.stats).toMatchObject({ smsSent: 2, smsReceived: 2 });
  });
});
