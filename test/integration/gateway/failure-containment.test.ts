/**
 * Failure containment with real parts: a private Redis that is broken, refuses writes or goes
 * away, real UDP sockets, the simulated network and modem on a pseudo-terminal. No fault may
 * crash or hang the gateway, and none may lose an SMS (issue 7, "Failure containment").
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../../src/gateway/gateway.ts';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { freeTcpPort, redisCommand, startPrivateRedis } from '../../support/private-redis.ts';
import { captureLog } from '../../support/log-capture.ts';
import { SmsDevice, UdpPeer, onCleanup, startGateway, useRelayFixture } from '../relay/relay-fixture.ts';

useRelayFixture();

/** Unhandled rejections seen during a test (vitest also fails a run that has any). */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

const FAST_RETRY = { minDelayMs: 50, maxDelayMs: 400 };
const token = (n: number): Uint8Array => Uint8Array.of(0xb0, n);

function register(endpoint: string, messageId: number, binding: string): CoapMessage {
  return coapRequest({
    code: CoapCode.POST, messageId, token: token(messageId & 0xff), path: ['rd'],
    query: [`ep=${endpoint}`, 'lt=300', 'lwm2m=1.0', `b=${binding}`], contentFormat: 40, payload: '</1/0>,</3/0>',
  });
}

function created(request: CoapMessage, id: string): CoapMessage {
  return coapResponse(request, CoapCode.CREATED, undefined, {
    options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from(id) }],
  });
}

/** Waits for the next request at the core and returns it with the device socket's port. */
async function nextAtCore(core: UdpPeer): Promise<{ message: CoapMessage; port: number }> {
  await expect.poll(() => core.received.length, { timeout: 20_000 }).toBeGreaterThan(0);
  const { message, from } = core.received.shift()!;
  return { message, port: from.port };
}

/** Registers an SMS device (the core accepts) and waits for the answer to reach it. */
async function registerSmsDevice(core: UdpPeer, device: SmsDevice, endpoint: string, messageId: number): Promise<number> {
  await device.send(register(endpoint, messageId, 'S'));
  const { message, port } = await nextAtCore(core);
  core.send(created(message, endpoint), port);
  await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1);
  return port;
}

describe('failure containment: the inbox stream', () => {
  it('deleting the inbox stream is logged, the consumer creates its group again, and the next SMS still reaches the core', async () => {
    const log = captureLog();
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core, {}, { logger: log.logger });
    const device = await SmsDevice.attach(network, '491709100001');
    await registerSmsDevice(core, device, 'inbox-del-1', 0x1101);

    await redisCommand(Number(new URL(gateway.config.redisUrl).port), `DEL ${gateway.inbox.messagesKey}`);
    await device.send(coapRequest({ code: CoapCode.POST, messageId: 0x1102, token: token(2), path: ['rd', 'inbox-del-1'] }));
    const update = await nextAtCore(core);
    expect(update.message.code).toBe(CoapCode.POST);
    expect(log.matching('inbox consumer').length).toBeGreaterThan(0);
    expect(unhandled).toEqual([]);
  }, 60_000);
});

describe('failure containment: Redis refuses writes', () => {
  it('a Register that Redis cannot store is answered 5.03 Service Unavailable (not 4.00) and logged', async () => {
    const log = captureLog();
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core, {}, { logger: log.logger });
    const port = Number(new URL(gateway.config.redisUrl).port);
    await redisCommand(port, 'CONFIG SET maxmemory 1'); // noeviction: every write is refused (OOM)
    onCleanup(() => redisCommand(port, 'CONFIG SET maxmemory 0'));
    const device = await UdpPeer.open();
    device.send(register('oom-1', 0x2101, 'U'), gateway.udpAddress.port);
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1);
    expect(device.received[0]!.message).toMatchObject({ type: 'ACK', code: CoapCode.SERVICE_UNAVAILABLE, messageId: 0x2101 });
    expect(core.received).toHaveLength(0);
    expect(log.records().find((r) => r.reason === 'store-failed')).toMatchObject({ level: 'error' });
  });

  it('the core\'s answer that Redis cannot store still reaches the device; the failure is counted and logged, no promise rejects', async () => {
    const log = captureLog();
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core, {}, { logger: log.logger });
    const port = Number(new URL(gateway.config.redisUrl).port);
    const device = await UdpPeer.open();
    device.send(register('oom-2', 0x2201, 'U'), gateway.udpAddress.port);
    const { message, port: devicePort } = await nextAtCore(core);
    await redisCommand(port, 'CONFIG SET maxmemory 1');
    onCleanup(() => redisCommand(port, 'CONFIG SET maxmemory 0'));
    core.send(created(message, 'o2'), devicePort);
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1);
    expect(device.received[0]!.message).toMatchObject({ type: 'ACK', code: CoapCode.CREATED, messageId: 0x2201 });
    expect(gateway.relay.counters.failed).toBe(1);
    expect(log.records().find((r) => r.reason === 'failed')).toMatchObject({ level: 'error', device: 'oom-2' });
    expect(unhandled).toEqual([]);
  });
});

describe('failure containment: Redis unreachable', () => {
  /** Starts a gateway on `redisUrl` (no modems) that `abort` stops; `outcome`: 'started', or the start's error. */
  async function startUntilAborted(redisUrl: string, log: ReturnType<typeof captureLog>, abort: AbortController): Promise<{ readonly outcome: Promise<unknown> }> {
    const core = await UdpPeer.open();
    const starting = Gateway.start({
      redisUrl, redisPrefix: 'smsbridge:', core: { host: '127.0.0.1', port: core.port },
      udpListen: { host: '127.0.0.1', port: 0 }, coreSockets: { bindHost: '127.0.0.1', portRange: [42_000, 47_999] },
      modems: [], routes: [], senderPolicy: { mode: 'open' }, awakeWindowMs: 93_000, reassemblyTimeoutSec: 60, maintenanceIntervalMs: 500, profilesDir: null,
    }, { logger: log.logger, signal: abort.signal, redisRetry: FAST_RETRY });
    return { outcome: starting.then(() => 'started', (error: unknown) => error) };
  }

  it('start-up retries with back-off, one log line a retry, and is aborted by the signal', async () => {
    const log = captureLog();
    const port = await freeTcpPort(); // nothing listens here
    const abort = new AbortController();
    const { outcome } = await startUntilAborted(`redis://:s3cret-pw@127.0.0.1:${port}/2`, log, abort);
    await expect.poll(() => log.matching('redis unreachable').filter((r) => r.level === 'warn').length, { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
    abort.abort();
    expect(await outcome).toMatchObject({ code: 'GW_ERR_START_ABORTED' });
    const retries = log.matching('redis unreachable').filter((r) => r.level === 'warn').slice(0, 4);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    expect(retries.map((r) => r.retryInMs)).toEqual([50, 100, 200, 400]);
    expect(retries[0]!.error).toMatch(/ECONNREFUSED/);
    expect(log.lines.join('\n')).not.toContain('s3cret-pw');
  });

  it('start-up against a server that answers every command with an empty error reply says so on each retry (not "unreachable" with an empty error)', async () => {
    const log = captureLog();
    // Not Redis: every command (RESP array) gets "-\r\n", an error reply with no text.
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.on('data', (bytes) => void socket.write('-\r\n'.repeat(Math.max(1, (bytes.toString('latin1').match(/(^|\n)\*\d+\r\n/g) ?? []).length))));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const abort = new AbortController();
    const { outcome } = await startUntilAborted(`redis://127.0.0.1:${port}`, log, abort);
    await expect.poll(() => log.matching('redis answered with an error, retrying').filter((r) => r.level === 'warn').length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    abort.abort();
    expect(await outcome).toMatchObject({ code: 'GW_ERR_START_ABORTED' });
    const retries = log.matching('redis answered with an error, retrying').filter((r) => r.level === 'warn');
    expect(retries[0]!.error).toBe('an error reply with no text (is a Redis server listening at this address?)');
    expect(log.matching('redis unreachable')).toEqual([]);
  });

  it('start-up waits for Redis and goes on when it appears', async () => {
    const log = captureLog();
    const port = await freeTcpPort();
    const core = await UdpPeer.open();
    const starting = startGateway(core, { redisUrl: `redis://127.0.0.1:${port}` }, { logger: log.logger, redisRetry: FAST_RETRY });
    await expect.poll(() => log.matching('redis unreachable').length, { timeout: 20_000 }).toBeGreaterThan(0);
    const redis = await startPrivateRedis({ port });
    onCleanup(() => redis.stop());
    const { gateway } = await starting;
    expect((await gateway.status()).redis).toEqual({ commands: 'ready', consumer: 'ready' });
  }, 60_000);

  it('while Redis is down: status() answers, received SMS are not acknowledged to the network, and everything resumes when Redis returns', async () => {
    const log = captureLog();
    let redis = await startPrivateRedis();
    onCleanup(() => redis.stop());
    const core = await UdpPeer.open();
    const { gateway, network, modem } = await startGateway(core, { redisUrl: redis.url }, { logger: log.logger, redisRetry: FAST_RETRY });
    const device = await SmsDevice.attach(network, '491709100002');
    await registerSmsDevice(core, device, 'outage-1', 0x3101);

    await redis.stop();
    await expect.poll(() => log.matching('redis unreachable').length, { timeout: 20_000 }).toBeGreaterThan(0);
    const status = await gateway.status(); // answers from memory
    expect(status.redis.commands).not.toBe('ready');
    expect(status.devices.map((d) => d.endpoint)).toEqual(['outage-1']);

    const acknowledgedBefore = modem.stats.smsReceived;
    await device.send(coapRequest({ code: CoapCode.POST, messageId: 0x3102, token: token(3), path: ['rd', 'outage-1'] }));
    // Direct route (+CMT): unpersisted, so waiting for AT+CNMA or refused to the network, which delivers it again.
    expect((await gateway.status()).modems[0]?.receiveRoute).toBe('direct');
    await expect.poll(() => modem.status.awaitingCnma || modem.stats.deliveriesRefused > 0, { timeout: 20_000 }).toBe(true);
    expect(modem.stats.smsReceived).toBe(acknowledgedBefore);
    expect(core.received).toHaveLength(0);

    redis = await startPrivateRedis({ port: redis.port }); // back, empty (no persistence)
    const update = await nextAtCore(core);
    expect(update.message).toMatchObject({ code: CoapCode.POST });
    await expect.poll(() => modem.stats.smsReceived, { timeout: 20_000 }).toBe(acknowledgedBefore + 1); // acknowledged once persisted
    expect(modem.status.used.ME + modem.status.used.SM).toBe(0);
    await expect.poll(() => log.matching('redis connected again').length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect((await gateway.status()).redis).toEqual({ commands: 'ready', consumer: 'ready' });
    expect(unhandled).toEqual([]);
  }, 90_000);
});
