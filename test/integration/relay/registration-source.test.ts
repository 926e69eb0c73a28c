/**
 * LwM2M 1.0 §5.3.1: the server uses the registration's source for later interactions. An
 * unmodified UDP LwM2M client behind the SMS tunnel (`smsbridge sim device --tunnel`) registers
 * with `b=U` and no `sms=`; the gateway heard the Register over SMS, so the core's requests must
 * reach it over SMS. The client here is a plain UDP socket speaking CoAP (it knows nothing of
 * SMS); the tunnel carries its datagrams through the simulated network. The second client is an
 * independent CoAP implementation, node-coap (its own message layer, IDs and retransmissions).
 * Real Redis, UDP sockets and pseudo-terminals.
 */
import { createSocket } from 'node:dgram';
import * as coap from 'coap';
import { describe, expect, it } from 'vitest';
import { CoapCode, CoapOptionNumber, coapAck, coapRequest, coapResponse, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { SmsTunnel } from '../../../src/sim/device/sms-tunnel.ts';
import { GATEWAY_MSISDN, UdpPeer, onCleanup, startGateway, useRelayFixture } from './relay-fixture.ts';

useRelayFixture();

const token = (n: number): Uint8Array => Uint8Array.of(0xb0, n);

function created(request: CoapMessage, id: string): CoapMessage {
  return coapResponse(request, CoapCode.CREATED, undefined, {
    options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(id) }],
  });
}

describe('relay: a device that registered over SMS', () => {
  it('gets the core\'s Read over SMS although its Binding is U (a UDP client behind the SMS tunnel)', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core);
    const tunnel = await SmsTunnel.start({ msisdn: '491709300001', listen: { host: '127.0.0.1', port: 0 }, network: network.address, gatewayNumber: GATEWAY_MSISDN });
    onCleanup(() => tunnel.stop());
    const client = await UdpPeer.open();

    const register = coapRequest({
      code: CoapCode.POST, messageId: 0x0101, token: token(1), path: ['rd'], query: ['ep=tunnelled-u', 'lt=300', 'lwm2m=1.0', 'b=U'], contentFormat: 40, payload: '</3/0>',
    });
    client.send(register, tunnel.address.port);
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBe(1);
    const { message: relayed, from } = core.received.shift()!;
    core.send(created(relayed, 'tu'), from.port);
    await expect.poll(() => client.received.length, { timeout: 10_000 }).toBe(1);
    expect(client.received[0]!.message).toMatchObject({ type: 'ACK', code: CoapCode.CREATED, messageId: 0x0101 });
    await expect.poll(() => gateway.mirror.get('tunnelled-u')?.registered, { timeout: 5000 }).toBe(true);

    const read = coapRequest({ code: CoapCode.GET, messageId: 0x0c01, token: token(0x31), path: ['3', '0'] });
    core.send(read, from.port);
    await expect.poll(() => client.received.some((r) => r.message.code === CoapCode.GET), { timeout: 10_000 }).toBe(true);
    const request = client.received.find((r) => r.message.code === CoapCode.GET)!.message;
    expect(Buffer.from(request.token).toString('hex')).toBe('b031');
    expect(gateway.relay.counters.held).toBe(0);

    client.send(coapResponse(request, CoapCode.CONTENT, 'tunnelled', { contentFormat: 0 }), tunnel.address.port);
    await expect.poll(() => core.received.find((r) => r.message.code === CoapCode.CONTENT), { timeout: 10_000 }).toBeTruthy();
    const answer = core.received.find((r) => r.message.code === CoapCode.CONTENT)!.message;
    expect(Buffer.from(answer.token).toString('hex')).toBe('b031');
    expect(Buffer.from(answer.payload).toString()).toBe('tunnelled');
    core.send(coapAck(answer.messageId), from.port);
  }, 30_000);

  it('serves an independent CoAP stack (node-coap) behind the tunnel: Register with b=U, then the core\'s Read over SMS', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core);
    const tunnel = await SmsTunnel.start({ msisdn: '491709300002', listen: { host: '127.0.0.1', port: 0 }, network: network.address, gatewayNumber: GATEWAY_MSISDN });
    onCleanup(() => tunnel.stop());
    // One socket for node-coap's server (requests to the client) and agent (its Register), as an LwM2M client does.
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const server = coap.createServer((request: coap.IncomingMessage, response: coap.OutgoingMessage) => {
      response.code = request.url === '/3/0' && request.method === 'GET' ? '2.05' : '4.04';
      response.end('node-coap');
    });
    server.listen(socket);
    const agent = new coap.Agent({ socket });
    onCleanup(async () => {
      server.close();
      agent.close();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    });
    const registered = new Promise<string>((resolve, reject) => {
      const request = coap.request({
        hostname: '127.0.0.1', port: tunnel.address.port, method: 'POST', pathname: '/rd', query: 'ep=node-coap-u&lt=300&lwm2m=1.0&b=U', agent, confirmable: true,
      });
      request.on('response', (response: coap.IncomingMessage) => resolve(String(response.code)));
      request.on('error', reject);
      request.end('</3/0>');
    });

    await expect.poll(() => core.received.find((r) => r.message.code === CoapCode.POST), { timeout: 10_000 }).toBeTruthy();
    const { message: relayed, from } = core.received.find((r) => r.message.code === CoapCode.POST)!;
    core.send(created(relayed, 'nc'), from.port);
    expect(await registered).toBe('2.01');
    await expect.poll(() => gateway.mirror.get('node-coap-u')?.registered, { timeout: 5000 }).toBe(true);
    expect(gateway.mirror.get('node-coap-u')).toMatchObject({ binding: 'U', msisdn: '491709300002', registeredOver: 'sms' });

    core.received.splice(0);
    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x0c02, token: token(0x32), path: ['3', '0'] }), from.port);
    await expect.poll(() => core.received.find((r) => r.message.code === CoapCode.CONTENT), { timeout: 15_000 }).toBeTruthy();
    const answer = core.received.find((r) => r.message.code === CoapCode.CONTENT)!.message;
    expect([Buffer.from(answer.token).toString('hex'), Buffer.from(answer.payload).toString()]).toEqual(['b032', 'node-coap']);
    core.send(coapAck(answer.messageId), from.port);
  }, 30_000);
});

