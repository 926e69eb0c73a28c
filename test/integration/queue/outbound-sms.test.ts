/**
 * The outbound SMS queue (BullMQ on a private Redis) worked by a modem pool of simulated modems
 * on real pseudo-terminals: priorities, the per-modem rate, no resend of an unknown outcome,
 * queued jobs sent once after a restart (expired ones never), and a job active when its worker
 * process was killed reported unknown, not resent.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { PoolSmsSender } from '../../../src/bridge/pool-sms-sender.ts';
import { ModemPool } from '../../../src/modem/modem-pool.ts';
import type { ModemDriver } from '../../../src/modem/modem-driver.ts';
import type { SimModem, SimModemOptions } from '../../../src/sim/modem/index.ts';
import type { SimNetwork } from '../../../src/sim/network/sim-network.ts';
import { decodePdu } from '../../../src/sms/index.ts';
import { OUTBOUND_SMS_DEFAULTS, type OutboundSmsSettings } from '../../../src/queue/outbound-sms-settings.ts';
import { OutboundSmsQueue } from '../../../src/queue/outbound-sms-queue.ts';
import { OutboundSmsWorker, type OutboundSmsOutcome, type OutboundSmsWorkerDeps } from '../../../src/queue/outbound-sms-worker.ts';
import { hex, onCleanup, redis, startDevice, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from '../modem/driver-fixture.ts';

useDriverFixture();

const PREFIX = 'test:';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const redisUrl = (): string => `redis://127.0.0.1:${redis().options.port ?? 6379}`;
const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A device that records the data of every SMS-DELIVER it gets, as text. */
async function recordingDevice(network: SimNetwork, msisdn: string): Promise<string[]> {
  const device = await startDevice(network, msisdn);
  const received: string[] = [];
  device.client.on('deliver', (delivery) => {
    if (delivery.kind !== 'deliver') return;
    const pdu = decodePdu(delivery.pduHex);
    if (pdu.type === 'deliver') received.push(Buffer.from(hex(pdu.userData.data), 'hex').toString());
  });
  return received;
}

async function readyModem(network: SimNetwork, name: string, msisdn: string, sim: Partial<Omit<SimModemOptions, 'linkPath' | 'network' | 'msisdn'>> = {}): Promise<{ sim: SimModem; driver: ModemDriver }> {
  const modem = await startSimModem(network, { ...sim, msisdn });
  const driver = startDriver(testConfig(name, modem.linkPath, { watchdogIntervalMs: 60_000 }));
  await driver.waitFor('ready', 10_000);
  await driver.sweep(); // the start-up sweep is over: faults hit the send
  return { sim: modem, driver };
}

function startQueue(settings: Partial<OutboundSmsSettings> = {}): OutboundSmsQueue {
  const queue = new OutboundSmsQueue({ redisUrl: redisUrl(), redisPrefix: PREFIX, settings: { ...OUTBOUND_SMS_DEFAULTS, ...settings } });
  onCleanup(() => queue.close());
  return queue;
}

function startWorker(pool: ModemPool, queue: OutboundSmsQueue | null, options: Partial<OutboundSmsWorkerDeps> = {}): { worker: OutboundSmsWorker; outcomes: OutboundSmsOutcome[] } {
  const worker = new OutboundSmsWorker({
    redisUrl: redisUrl(), redisPrefix: PREFIX, settings: OUTBOUND_SMS_DEFAULTS, sender: new PoolSmsSender(pool, redis(), `${PREFIX}concat-ref:`),
    ...(queue === null ? {} : { local: queue }), concurrency: 1, ...options,
  });
  onCleanup(() => worker.close());
  const outcomes: OutboundSmsOutcome[] = [];
  worker.on('outcome', (outcome) => outcomes.push(outcome));
  return { worker, outcomes };
}

describe('outbound SMS queue: priorities and rate', () => {
  it('sends a queued relay answer before a trigger queued earlier while the only modem is busy, and bulk last', async () => {
    const network = await startNetwork();
    const modem = await readyModem(network, 'busy', '+491700000201', { cmgsLatencyMs: 2500 });
    const to = '+491709990201';
    const received = await recordingDevice(network, to);
    const queue = startQueue();
    await queue.ready();
    const { outcomes } = startWorker(new ModemPool([{ driver: modem.driver, groups: [], maxPartsPerSec: 0 }]), queue);
    const first = queue.sender('bulk').send(to.slice(1), bytesOf('bulk-1'));
    await expect.poll(() => modem.sim.stats.smsSubmitted, { timeout: 10_000 }).toBe(1); // the modem is busy with it
    const bulk = queue.sender('bulk').send(to.slice(1), bytesOf('bulk-2'));
    const trigger = queue.sender('trigger').send(to.slice(1), bytesOf('trigger'));
    await expect.poll(async () => (await queue.counts()).prioritized, { timeout: 10_000 }).toBe(2);
    const answer = queue.sender('relay').send(to.slice(1), bytesOf('answer'));
    await expect.poll(async () => (await queue.counts()).prioritized, { timeout: 10_000 }).toBe(3);
    // All three queued while the first is still being sent (its +CMGS comes 2.5 s after the submit).
    expect(outcomes).toEqual([]);
    await Promise.all([first, bulk, trigger, answer]);
    expect(outcomes.map((o) => o.kind)).toEqual(['bulk', 'relay', 'trigger', 'bulk']);
    await expect.poll(() => received, { timeout: 10_000 }).toEqual(['bulk-1', 'answer', 'trigger', 'bulk-2']);
  }, 60_000);

  it('keeps each modem to its maxPartsPerSec (the pool\'s token bucket)', async () => {
    const network = await startNetwork();
    const modem = await readyModem(network, 'slow', '+491700000211');
    const to = '+491709990211';
    const received = await recordingDevice(network, to);
    const queue = startQueue();
    await queue.ready();
    const { outcomes } = startWorker(new ModemPool([{ driver: modem.driver, groups: [], maxPartsPerSec: 2 }]), queue, { concurrency: 2 });
    const startedMs = Date.now();
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((name) => queue.sender('bulk').send(to.slice(1), bytesOf(name))));
    const elapsedMs = Date.now() - startedMs;
    // Burst 2, then one part per 500 ms: the last of 6 cannot leave before 4 × 500 ms. A lower bound only.
    expect(elapsedMs).toBeGreaterThanOrEqual(1900);
    expect(outcomes.map((o) => o.result)).toEqual(Array(6).fill('sent'));
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(6);
  }, 60_000);
});

describe('outbound SMS queue: one job per message', () => {
  it('sends all parts of a long message as one job, with the concatenation reference counted in Redis; a single part takes none', async () => {
    const network = await startNetwork();
    const modem = await readyModem(network, 'parts', '+491700000281');
    const to = '491709990281';
    const queue = startQueue();
    await queue.ready();
    startWorker(new ModemPool([{ driver: modem.driver, groups: [], maxPartsPerSec: 0 }]), queue);
    await expect(queue.sender('bulk').sendMessage(to, { data: bytesOf('short') })).resolves.toMatchObject({ modem: 'parts', parts: 1 });
    expect(await redis().exists(`${PREFIX}concat-ref:${to}`)).toBe(0);
    await expect(queue.sender('bulk').sendMessage(to, { data: new Uint8Array(300).fill(0x41) })).resolves.toMatchObject({ modem: 'parts', parts: 3 });
    await expect(queue.sender('bulk').sendMessage(to, { text: 'x'.repeat(200) })).resolves.toMatchObject({ parts: 2 });
    expect(await redis().get(`${PREFIX}concat-ref:${to}`)).toBe('2');
    expect(await queue.counts()).toMatchObject({ waiting: 0, prioritized: 0 });
    expect(modem.sim.stats.smsSubmitted).toBe(6);
  }, 60_000);
  it('carries a status report request through the job to the pool sender', async () => {
    const network = await startNetwork();
    const modem = await readyModem(network, 'srr', '+491700000291');
    const queue = startQueue();
    await queue.ready();
    const pool = new ModemPool([{ driver: modem.driver, groups: [], maxPartsPerSec: 0 }]);
    const real = new PoolSmsSender(pool, redis(), `${PREFIX}concat-ref:`);
    const asked: unknown[] = [];
    startWorker(pool, queue, { sender: { sendMessage: (msisdn, payload, via, ports, options) => (asked.push(options.statusReportRequest), real.sendMessage(msisdn, payload, via, ports)) } });
    const stored = await queue.enqueue('trigger', '491709990291', { data: bytesOf('srr') }, null, null, undefined, { statusReportRequest: true });
    expect((await queue.queue.getJob(stored.jobId))?.data.statusReportRequest).toBe(true);
    await queue.sender('bulk').send('491709990291', bytesOf('plain'));
    await expect.poll(() => asked, { timeout: 10_000 }).toEqual([true, false]);
  }, 60_000);
});

describe('outbound SMS queue: never twice', () => {
  it('fails a message whose outcome is unknown (modem reboots after taking the PDU) and never resends it', async () => {
    const network = await startNetwork();
    const [rebooting, other] = await Promise.all([
      readyModem(network, 'rebooting', '+491700000221', { cmgsLatencyMs: 800 }),
      readyModem(network, 'other', '+491700000222'),
    ]);
    const to = '+491709990221';
    const received = await recordingDevice(network, to);
    const queue = startQueue();
    await queue.ready();
    const pool = new ModemPool([rebooting, other].map((m) => ({ driver: m.driver, groups: [], maxPartsPerSec: 0 })));
    const { outcomes } = startWorker(pool, queue);
    const sending = queue.sender('trigger').send(to.slice(1), bytesOf('once'), 'rebooting');
    await expect.poll(() => rebooting.sim.stats.smsSubmitted, { timeout: 10_000 }).toBe(1);
    rebooting.sim.reboot();
    await expect(sending).rejects.toMatchObject({ code: 'GW_ERR_MODEM_SEND_UNKNOWN' });
    expect(outcomes).toMatchObject([{ kind: 'trigger', result: 'unknown', code: 'GW_ERR_MODEM_SEND_UNKNOWN' }]);
    await expect.poll(() => queue.counts(), { timeout: 10_000 }).toMatchObject({ failed: 1, waiting: 0, prioritized: 0, delayed: 0, active: 0 }); // the caller hears before BullMQ records it
    await rebooting.driver.waitFor('ready', 10_000);
    await sleep(500);
    expect(rebooting.sim.stats.smsSubmitted + other.sim.stats.smsSubmitted).toBe(1);
    expect(received).toEqual(['once']); // it did leave, once
  }, 60_000);

  it('with resendUnknown on, resends an unknown outcome once (here from the other modem, the first one resetting)', async () => {
    const network = await startNetwork();
    const [rebooting, other] = await Promise.all([
      readyModem(network, 'rebooting', '+491700000251', { cmgsLatencyMs: 800 }),
      readyModem(network, 'other', '+491700000252'),
    ]);
    const to = '+491709990251';
    const received = await recordingDevice(network, to);
    const settings = { ...OUTBOUND_SMS_DEFAULTS, resendUnknown: true };
    const queue = startQueue(settings);
    await queue.ready();
    const pool = new ModemPool([rebooting, other].map((m) => ({ driver: m.driver, groups: [], maxPartsPerSec: 0 })));
    const { outcomes } = startWorker(pool, queue, { settings });
    const sending = queue.sender('bulk').sendMessage(to.slice(1), { data: bytesOf('twice') });
    await expect.poll(() => rebooting.sim.stats.smsSubmitted, { timeout: 10_000 }).toBe(1);
    rebooting.sim.reboot();
    await expect(sending).resolves.toMatchObject({ modem: 'other', parts: 1 });
    expect(outcomes.map((o) => o.result)).toEqual(['sent']); // the unknown first attempt was not final
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(2); // the policy's price: the device got it twice
    await sleep(500);
    expect(rebooting.sim.stats.smsSubmitted + other.sim.stats.smsSubmitted).toBe(2);
  }, 60_000);

  it('fails at once, unsent and not retried, when the modem the device accepts cannot send', async () => {
    const network = await startNetwork();
    const modem = await readyModem(network, 'a', '+491700000261');
    const queue = startQueue();
    await queue.ready();
    const { outcomes } = startWorker(new ModemPool([{ driver: modem.driver, groups: [], maxPartsPerSec: 0 }]), queue);
    await expect(queue.sender('relay').send('491709990261', bytesOf('x'), 'b')).rejects.toMatchObject({ code: 'GW_ERR_POOL_NO_MODEM' });
    expect(outcomes).toMatchObject([{ kind: 'relay', result: 'failed', code: 'GW_ERR_POOL_NO_MODEM' }]);
    await expect.poll(() => queue.counts(), { timeout: 10_000 }).toMatchObject({ failed: 1, waiting: 0, prioritized: 0, delayed: 0, active: 0 });
    expect(modem.sim.stats.smsSubmitted).toBe(0);
  }, 60_000);

  it('on a stop, takes a waiting caller\'s job off the queue and tells it so: never sent later (the core was told 5.03)', async () => {
    const network = await startNetwork();
    const modem = await readyModem(network, 'after-stop', '+491700000271');
    const stopping = new OutboundSmsQueue({ redisUrl: redisUrl(), redisPrefix: PREFIX, settings: OUTBOUND_SMS_DEFAULTS });
    await stopping.ready();
    const sending = stopping.sender('relay').send('491709990271', bytesOf('too late')); // no worker runs yet
    await expect.poll(async () => (await stopping.counts()).prioritized, { timeout: 10_000 }).toBe(1);
    await stopping.close();
    await expect(sending).rejects.toMatchObject({ code: 'GW_ERR_POOL_NO_MODEM' });
    const next = startQueue();
    const { worker, outcomes } = startWorker(new ModemPool([{ driver: modem.driver, groups: [], maxPartsPerSec: 0 }]), next);
    await worker.ready();
    await next.sender('bulk').send('491709990271', bytesOf('marker')); // the queue is worked: anything left would have gone first
    expect(outcomes.map((o) => o.kind)).toEqual(['bulk']);
    expect(modem.sim.stats.smsSubmitted).toBe(1);
  }, 60_000);

  it('sends the jobs queued before a restart once each, and drops the expired one unsent', async () => {
    const network = await startNetwork();
    const modem = await readyModem(network, 'later', '+491700000231');
    const to = '+491709990231';
    const received = await recordingDevice(network, to);
    // The first "process": queues four SMS and goes away before any worker ran.
    const before = new OutboundSmsQueue({ redisUrl: redisUrl(), redisPrefix: PREFIX, settings: { ...OUTBOUND_SMS_DEFAULTS, relayTtlMs: 1 } });
    for (const [kind, text] of [['bulk', 'one'], ['trigger', 'two'], ['bulk', 'three']] as const) await before.enqueue(kind, to.slice(1), { data: bytesOf(text) });
    await before.enqueue('relay', to.slice(1), { data: bytesOf('stale answer') }); // lives 1 ms
    await before.close();
    await sleep(20);
    // The second: a worker on the same Redis.
    const { outcomes } = startWorker(new ModemPool([{ driver: modem.driver, groups: [], maxPartsPerSec: 0 }]), null);
    await expect.poll(() => outcomes.length, { timeout: 15_000 }).toBe(4);
    expect(outcomes.map((o) => `${o.kind}:${o.result}`)).toEqual(['relay:expired', 'trigger:sent', 'bulk:sent', 'bulk:sent']);
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(3);
    await sleep(500);
    expect(received.sort()).toEqual(['one', 'three', 'two']);
    expect(modem.sim.stats.smsSubmitted).toBe(3);
  }, 60_000);

  it('reports a job that was being sent when its worker process was killed as unknown, and never resends it', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { msisdn: '+491700000241', cmgsLatencyMs: 3000 });
    const to = '+491709990241';
    const received = await recordingDevice(network, to);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/outbound-worker-process.ts', sim.linkPath, redisUrl(), PREFIX, '1000'], { stdio: 'pipe' });
    onCleanup(async () => void child.kill('SIGKILL'));
    const lines = childLines(child);
    await lines.until((line) => line['event'] === 'state' && line['state'] === 'ready');
    // The caller is this process; the worker is the child's.
    const queue = startQueue();
    await queue.ready();
    const sending = queue.sender('trigger').send(to.slice(1), bytesOf('maybe'));
    sending.catch(() => undefined);
    await expect.poll(() => sim.stats.smsSubmitted, { timeout: 10_000 }).toBe(1); // with the network; +CMGS 3 s later
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await queue.counts()).toMatchObject({ active: 1 });
    // The next worker (this process) finds the job stalled: unknown, not sent again.
    const driver = startDriver(testConfig('next', sim.linkPath, { watchdogIntervalMs: 60_000 }));
    await driver.waitFor('ready', 15_000);
    const { outcomes } = startWorker(new ModemPool([{ driver, groups: [], maxPartsPerSec: 0 }]), null, { lockDurationMs: 1000, stalledIntervalMs: 300 });
    await expect(sending).rejects.toMatchObject({ code: 'GW_ERR_MODEM_SEND_UNKNOWN' }); // heard through QueueEvents
    await expect.poll(() => outcomes, { timeout: 10_000 }).toMatchObject([{ kind: 'trigger', result: 'unknown' }]); // the caller may hear first
    await expect.poll(() => queue.counts(), { timeout: 10_000 }).toMatchObject({ failed: 1, active: 0, waiting: 0, prioritized: 0 });
    await sleep(500);
    expect(sim.stats.smsSubmitted).toBe(1);
    expect(received).toEqual(['maybe']);
  }, 90_000);
});

/** The child's stdout as JSON lines, with a wait for the first line that matches. */
function childLines(child: ChildProcessWithoutNullStreams): { until(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> } {
  const seen: Record<string, unknown>[] = [];
  const waiting: { match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    seen.push(line);
    for (const w of waiting.splice(0)) if (w.match(line)) w.resolve(line); else waiting.push(w);
  });
  return {
    until: (match) => {
      const found = seen.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiting.push({ match, resolve });
        child.once('exit', (code) => reject(new Error(`worker process exited (${code}): ${stderr}`)));
      });
    },
  };
}
