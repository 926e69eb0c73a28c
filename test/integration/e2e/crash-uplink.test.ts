/**
 * kill -9 of `smsbridge run` with SMS in flight, at the worst moment: after the relay sent an
 * inbox entry's message to the core and before the XACK reached Redis (a proxy in front of the
 * real redis-server holds the XACK back; nothing in the gateway is hooked). After the restart the
 * entry is read again and sent again: it must carry the same CoAP Message ID, so the core takes
 * it as a retransmission (RFC 7252 §4.5) and handles every SMS exactly once. The core here is an
 * independent CoAP stack (node-coap), which de-duplicates by Message ID and source.
 *
 * Before the fix the re-sent entry got a fresh Message ID and node-coap handled it twice.
 *
 * The other way round: a request of the core carried to a device by SMS before a kill, answered
 * by the device after the restart, must reach the core as the answer to that request. Before the
 * SMS exchange was kept in Redis the restarted gateway knew nothing of it and passed the device's
 * ACK on with the device's Message ID, which the core could not match: its request timed out.
 */
import { createSocket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as coap from 'coap';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { coapAck, coapRequest } from '../../../src/lwm2m/coap-builders.ts';
import { CoapCode } from '../../../src/lwm2m/coap-codes.ts';
import { decodeCoap, encodeCoap, type CoapMessage } from '../../../src/lwm2m/coap-message.ts';
import { CoapOptionNumber } from '../../../src/lwm2m/coap-options.ts';
import { DeviceSmsLink } from '../../../src/sim/device/sms-link.ts';
import { eventually } from '../../support/process-checks.ts';
import { RedisHoldProxy } from '../../support/redis-hold-proxy.ts';
import { useSmsbridgeProcesses } from '../../support/smsbridge-processes.ts';
import { runConfigYaml } from '../../support/smsbridge-run.ts';

const { start, onCleanup, privateRedis, tempDir } = useSmsbridgeProcesses();

const GATEWAY_NUMBER = '+491720000091';
const DEVICE_NUMBER = '+491700000191';
const STREAM = 'crash-test:inbox:messages';

/** The gateway's file; its device-facing UDP port (unused here: the devices use SMS) is left to the OS. */
function configYaml(redisPort: number, corePort: number, modemPath: string): string {
  return runConfigYaml({
    redisUrl: `redis://127.0.0.1:${redisPort}`, redisPrefix: 'crash-test:', core: { host: '127.0.0.1', port: corePort }, udpPort: 0,
    coreSocketPorts: [42000, 42999], modems: [{ name: 'modem-1', path: modemPath }],
  });
}

describe('smsbridge run killed with -9 while SMS are in flight', () => {
  it('sends an inbox entry read again after the crash with its Message ID, so the core handles each of 4 SMS (one concatenated) once', async () => {
    const redis = await privateRedis();
    const proxy = await RedisHoldProxy.start(redis.port);
    onCleanup(() => proxy.close());
    const dir = await tempDir('smsbridge-crash-');

    // The core: node-coap on a socket of ours, so every datagram is seen as well as what node-coap hands its application.
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const datagramsPerId = new Map<string, number>();
    socket.on('message', (bytes) => {
      const message = decodeCoap(bytes);
      const text = Buffer.from(message.payload).toString();
      if (message.code === CoapCode.POST && text.startsWith('{')) {
        const id = (JSON.parse(text) as { id: string }).id;
        datagramsPerId.set(id, (datagramsPerId.get(id) ?? 0) + 1);
      }
    });
    const handledPerId = new Map<string, number>();
    const server = coap.createServer((request: coap.IncomingMessage, response: coap.OutgoingMessage) => {
      if (request.url.startsWith('/rd')) {
        response.code = '2.01';
        response.setOption('Location-Path', [Buffer.from('rd'), Buffer.from('crash1')]);
      } else {
        const id = (JSON.parse(request.payload.toString()) as { id: string }).id;
        handledPerId.set(id, (handledPerId.get(id) ?? 0) + 1);
        response.code = '2.04';
      }
      response.end();
    });
    server.listen(socket);
    onCleanup(async () => {
      server.close();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    });

    const network = start('sim', 'network', '--listen', '127.0.0.1:0', '--delivery-delay-ms', '0');
    const networkAddress = (await network.stdout.waitFor(/"listening":"([^"]+)"/))[1]!;
    const modem = start('sim', 'modem', '--msisdn', GATEWAY_NUMBER, '--link', join(dir, 'ttyModem0'), '--network', networkAddress, '--profile', 'ec25');
    await modem.stdout.waitFor(/"modem":/);
    const configPath = join(dir, 'gateway.yaml');
    await writeFile(configPath, configYaml(proxy.port, socket.address().port, join(dir, 'ttyModem0')));
    let gateway = start('run', '--config', configPath);
    await gateway.stdout.waitFor(/"msg":"running"/);

    const [host, port] = networkAddress.split(':');
    const device = await DeviceSmsLink.connect({ network: { host: host!, port: Number(port) }, msisdn: DEVICE_NUMBER, peerMsisdn: GATEWAY_NUMBER });
    onCleanup(() => device.close());
    const answers: number[] = [];
    device.on('message', (payload) => answers.push(decodeCoap(payload).code));
    let messageId = 0x2000;
    const send = (path: string[], payload: string, query: string[] = []): Promise<number> =>
      device.send(encodeCoap(coapRequest({ code: CoapCode.POST, messageId: messageId++, token: Uint8Array.of(messageId & 0xff, 0x5a), path, query, payload })));
    await send(['rd'], '</1/0>,</3/0>', ['ep=crash-device', 'b=S', 'lt=86400', 'lwm2m=1.1']);
    await eventually('the device got 2.01 Created over SMS', () => answers.includes(CoapCode.CREATED), 60_000);
    const client = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });
    onCleanup(async () => client.disconnect());
    await client.connect();
    const pending = async (): Promise<number> => Number(((await client.xpending(STREAM, 'relay')) as [number])[0]);
    await eventually('the Register is acknowledged in the inbox', async () => (await pending()) === 0);

    // Four SMS (the second concatenated); the first XACK the gateway sends is held back, and the gateway is killed there.
    const held = proxy.hold('xack');
    const ids = ['m1', 'm2', 'm3', 'm4'];
    for (const id of ids) await send(['dp'], JSON.stringify({ id, pad: id === 'm2' ? 'x'.repeat(300) : '' }));
    await held;
    await eventually('the core got the first SMS', () => datagramsPerId.size > 0);
    const first = [...datagramsPerId.keys()][0]!;
    gateway.child.kill('SIGKILL');
    expect(await gateway.exited).toBe('SIGKILL');
    expect(await pending()).toBeGreaterThan(0); // the entry was sent and not acknowledged

    gateway = start('run', '--config', configPath);
    await gateway.stdout.waitFor(/"msg":"running"/);
    await eventually('every SMS reached the core, the first one twice on the wire, and the inbox is empty', async () =>
      ids.every((id) => handledPerId.has(id)) && (datagramsPerId.get(first) ?? 0) >= 2 && (await pending()) === 0, 60_000);
    expect(Object.fromEntries(ids.map((id) => [id, handledPerId.get(id)]))).toEqual({ m1: 1, m2: 1, m3: 1, m4: 1 });
    expect(await client.keys('crash-test:inbox:messages:core-mid:*')).toEqual([]); // deleted with the XACK
  }, 240_000);
  it('takes a device\'s answer that arrives after the restart as the answer to the core\'s request sent before the kill', async () => {
    const redis = await privateRedis();
    const dir = await tempDir('smsbridge-crash-');
    // The core: a bare UDP socket (the test builds its answers and requests).
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    onCleanup(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    const atCore: { message: CoapMessage; port: number }[] = [];
    socket.on('message', (bytes, from) => {
      const message = decodeCoap(bytes);
      atCore.push({ message, port: from.port });
      if (message.code === CoapCode.POST) {
        socket.send(encodeCoap({ ...coapAck(message.messageId), code: CoapCode.CREATED, token: message.token, options: [
          { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('a1') }] }), from.port, '127.0.0.1');
      } else if (message.type === 'CON') {
        socket.send(encodeCoap(coapAck(message.messageId)), from.port, '127.0.0.1'); // a separate response is acknowledged
      }
    });

    const network = start('sim', 'network', '--listen', '127.0.0.1:0', '--delivery-delay-ms', '0');
    const networkAddress = (await network.stdout.waitFor(/"listening":"([^"]+)"/))[1]!;
    const modem = start('sim', 'modem', '--msisdn', GATEWAY_NUMBER, '--link', join(dir, 'ttyModem0'), '--network', networkAddress, '--profile', 'sim800');
    await modem.stdout.waitFor(/"modem":/);
    const configPath = join(dir, 'gateway.yaml');
    await writeFile(configPath, configYaml(redis.port, socket.address().port, join(dir, 'ttyModem0')));
    let gateway = start('run', '--config', configPath);
    await gateway.stdout.waitFor(/"msg":"running"/);

    const [host, port] = networkAddress.split(':');
    const device = await DeviceSmsLink.connect({ network: { host: host!, port: Number(port) }, msisdn: DEVICE_NUMBER, peerMsisdn: GATEWAY_NUMBER });
    onCleanup(() => device.close());
    const atDevice: CoapMessage[] = [];
    device.on('message', (payload) => atDevice.push(decodeCoap(payload)));
    await device.send(encodeCoap(coapRequest({ code: CoapCode.POST, messageId: 0x3000, token: Uint8Array.of(1), path: ['rd'], query: ['ep=answer-device', 'b=S', 'lt=86400'], payload: '</3/0>' })));
    await eventually('the device got 2.01 Created over SMS', () => atDevice.some((m) => m.code === CoapCode.CREATED), 60_000);
    const devicePort = atCore.find((entry) => entry.message.code === CoapCode.POST)!.port;

    socket.send(encodeCoap(coapRequest({ code: CoapCode.GET, messageId: 0x7001, token: Uint8Array.of(0x72, 0x31), path: ['3', '0', '0'] })), devicePort, '127.0.0.1');
    await eventually('the request reached the device by SMS', () => atDevice.some((m) => m.code === CoapCode.GET));
    const request = atDevice.find((m) => m.code === CoapCode.GET)!;
    gateway.child.kill('SIGKILL');
    expect(await gateway.exited).toBe('SIGKILL');
    gateway = start('run', '--config', configPath);
    await gateway.stdout.waitFor(/"msg":"running"/);

    // The device answers as LwM2M clients do: piggybacked on the ACK of the SMS request (RFC 7252 §5.2.1).
    await device.send(encodeCoap({ ...coapAck(request.messageId), code: CoapCode.CONTENT, token: request.token, payload: Buffer.from('after the restart') }));
    await eventually('the core got the answer as a separate response to its request (RFC 7252 §5.2.2)', () =>
      atCore.some((entry) => entry.message.type === 'CON' && entry.message.code === CoapCode.CONTENT && Buffer.from(entry.message.token).toString('hex') === '7231'), 60_000);
    expect(Buffer.from(atCore.find((entry) => entry.message.code === CoapCode.CONTENT)!.message.payload).toString()).toBe('after the restart');
  }, 240_000);
});
