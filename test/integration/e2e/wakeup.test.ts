/**
 * Wake-up jobs end to end: real Redis (private), BullMQ, simulated modems on pseudo-terminals,
 * the simulated SMS network and devices, the lab core. Nothing here measures time: tests wait
 * for the wake-up service's events and check counts and the back-off the job chose.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Lab, type LabDeviceSpec } from '../../../src/lab/lab.ts';
import type { GatewayConfig } from '../../../src/gateway/gateway-config.ts';
import { Gateway } from '../../../src/gateway/gateway.ts';
import type { WakeupEvents, WakeupOutcome } from '../../../src/queue/wakeup-service.ts';
import { smsbridge } from '../../support/smsbridge-cli.ts';

let lab: Lab | null = null;
afterEach(async () => {
  await lab?.stop();
  lab = null;
});

/** Asleep after 300 ms; accepts SMS only from modem-2 (the lab's device group says so). */
const UQS_DEVICE = { msisdn: '+491701250001', endpoint: 'uqs-sleeper', binding: 'UQS', modem: 1, lifetimeSec: 300, awakeWindowMs: 300 } as const;
const WAKEUP = { attempts: 3, backoffMs: 300, maxBackoffMs: 600, ttlMs: 60_000 } as const;

async function startLab(devices: readonly LabDeviceSpec[], gateway: Partial<GatewayConfig> = {}): Promise<Lab> {
  lab = await Lab.start({
    cmgsLatencyMs: 50, networkDelayMs: 10, devices,
    gateway: { awakeWindowMs: 300, maintenanceIntervalMs: 200, wakeup: WAKEUP, ...gateway }, core: { responseTimeoutMs: 20_000 },
  });
  for (const device of devices) await expect.poll(() => lab!.gateway.mirror.get(device.endpoint)?.registered, { timeout: 15_000 }).toBe(true);
  return lab;
}

/** The next outcome of `endpoint`'s wake-up (subscribe before asking). */
function nextOutcome(lab: Lab, endpoint: string): Promise<WakeupOutcome> {
  return new Promise((resolve) => {
    const off = lab.gateway.wakeups.on('outcome', (outcome) => {
      if (outcome.endpoint !== endpoint) return;
      off();
      resolve(outcome);
    });
  });
}

function sentSms(lab: Lab): number {
  return lab.gateway.pool.drivers.reduce((sum, driver) => sum + driver.status.counters.sent, 0);
}

describe('wake-up jobs', () => {
  it('1,000 concurrent requests for one sleeping device make one job and one SMS; the device wakes and the job completes', async () => {
    const lab = await startLab([UQS_DEVICE]);
    const device = lab.devices[0]!;
    await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false);
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    const answers = await Promise.all(Array.from({ length: 1000 }, () => lab.gateway.wakeup(UQS_DEVICE.endpoint)));
    expect(new Set(answers.map((a) => a.jobId))).toEqual(new Set(['wakeup-uqs-sleeper']));
    expect(await outcome).toMatchObject({ result: 'woke', triggers: 1 });
    expect(device.stats.executes).toBe(1); // it executed /1/0/8 once
    expect(sentSms(lab)).toBe(1);
    expect(lab.gateway.pool.drivers[1]!.status.counters.sent).toBe(1); // from its server modem
    expect(await lab.gateway.wakeups.lastOutcome(UQS_DEVICE.endpoint)).toMatchObject({ result: 'woke', triggers: 1 });
    // The simulated device is a 1.0 client: it answers the NON trigger with a NON 2.04 by SMS, which the gateway consumes.
    await expect.poll(() => lab.gateway.wakeups.counts(), { timeout: 10_000 }).toEqual({ woke: 1, 'trigger-answered': 1 });
  }, 90_000);

  it('a WAP Push trigger wakes the device, and the job completes when it is heard, not at the end of its back-off', async () => {
    // A 10-minute back-off: the job can only complete this test by the Update promoting it.
    const lab = await startLab([UQS_DEVICE], { wakeup: { ...WAKEUP, framing: 'wap-push', triggerMode: 'CON', backoffMs: 600_000, maxBackoffMs: 600_000, ttlMs: 3_600_000 } });
    const device = lab.devices[0]!;
    await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false);
    const framings: string[] = [];
    lab.gateway.wakeups.on('trigger', (event) => framings.push(event.framing));
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    expect(await outcome).toMatchObject({ result: 'woke', triggers: 1 });
    expect(framings).toEqual(['wap-push']);
    expect(device.stats.executes).toBe(1);
    expect(device.stats.smsIgnored).toBe(0);
  }, 90_000);

  it('a silent device gets the configured triggers at the configured back-off, then the job gives up with its reason', async () => {
    // The group names modem-1, but the device accepts only modem-2: it ignores every trigger.
    const lab = await startLab([UQS_DEVICE], { deviceGroups: [{ name: 'wrong-number', endpoints: ['*'], serverModem: 'modem-1' }] });
    const device = lab.devices[0]!;
    await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false);
    const triggers: WakeupEvents['trigger'][0][] = [];
    lab.gateway.wakeups.on('trigger', (event) => triggers.push(event));
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    expect(await lab.gateway.wakeup(UQS_DEVICE.endpoint)).toMatchObject({ jobId: 'wakeup-uqs-sleeper' });
    expect(await outcome).toMatchObject({ result: 'gave-up', reason: 'device-silent', triggers: 3 });
    expect(triggers.map((t) => t.trigger)).toEqual([1, 2, 3]);
    // Exponential back-off 300, 600 (cap), 600, each less up to 20 % jitter.
    const expected = [300, 600, 600];
    triggers.forEach((t, i) => {
      expect(t.nextCheckMs).toBeLessThanOrEqual(expected[i]!);
      expect(t.nextCheckMs).toBeGreaterThanOrEqual(expected[i]! * 0.8);
      expect(t.modem).toBe('modem-1');
    });
    expect(lab.gateway.pool.drivers[0]!.status.counters.sent).toBe(3);
    await expect.poll(() => device.stats.smsIgnored, { timeout: 10_000 }).toBe(3);
    expect(await lab.gateway.wakeups.counts()).toEqual({ 'gave-up:device-silent': 1 });
  }, 90_000);

  it('a restart in the middle of a back-off loses nothing: the next gateway process goes on counting the same job\'s triggers', async () => {
    const silent = { deviceGroups: [{ name: 'wrong-number', endpoints: ['*'], serverModem: 'modem-1' }], wakeup: { ...WAKEUP, backoffMs: 1500, maxBackoffMs: 1500 } };
    const lab = await startLab([UQS_DEVICE], silent);
    await expect.poll(() => lab.devices[0]!.awake, { timeout: 10_000 }).toBe(false);
    const firstTrigger = new Promise<void>((resolve) => lab.gateway.wakeups.once('trigger', () => resolve()));
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    await firstTrigger;
    await lab.gateway.stop(); // the job waits in Redis for its back-off
    const next = await Gateway.start(lab.gateway.config);
    try {
      const triggers: number[] = [];
      next.wakeups.on('trigger', (event) => triggers.push(event.trigger));
      const outcome = await new Promise<WakeupOutcome>((resolve) => next.wakeups.on('outcome', resolve));
      expect(outcome).toMatchObject({ result: 'gave-up', reason: 'device-silent', triggers: 3 });
      expect(triggers).toEqual([2, 3]);
    } finally {
      await next.stop();
    }
  }, 90_000);

  it('sends no trigger to a device that is awake now', async () => {
    const lab = await startLab([UQS_DEVICE], { awakeWindowMs: 600_000 }); // heard over UDP: awake for the whole test
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    expect(await outcome).toMatchObject({ result: 'skipped', reason: 'awake', triggers: 0 });
    expect(sentSms(lab)).toBe(0);
  }, 90_000);

  it('sends no trigger to a number outside the sender allowlist, nor when no modem is known to be the device\'s server number', async () => {
    const lab = await startLab([UQS_DEVICE], { senderPolicy: { mode: 'allowlist', entries: ['+4999'] } });
    await expect.poll(() => lab.devices[0]!.awake, { timeout: 10_000 }).toBe(false);
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    expect(await outcome).toMatchObject({ result: 'skipped', reason: 'not-allowed' });
    await lab.stop();
    const second = await startLab([UQS_DEVICE], { deviceGroups: [] }); // two modems, none named: unknown
    await expect.poll(() => second.devices[0]!.awake, { timeout: 10_000 }).toBe(false);
    const unknown = nextOutcome(second, UQS_DEVICE.endpoint);
    await second.gateway.wakeup(UQS_DEVICE.endpoint);
    expect(await unknown).toMatchObject({ result: 'skipped', reason: 'no-server-modem' });
    expect(sentSms(second)).toBe(0);
  }, 90_000);

  it('a request held for a sleeping UDP-only device asks for a wake-up, which sends nothing: no SMS in its Binding or registration', async () => {
    const udpOnly = { msisdn: '+491701250002', endpoint: 'uq-only', binding: 'UQ', lifetimeSec: 300, awakeWindowMs: 300 } as const;
    const lab = await startLab([udpOnly]);
    await expect.poll(() => lab.devices[0]!.awake, { timeout: 10_000 }).toBe(false);
    await expect.poll(() => lab.gateway.mirror.get(udpOnly.endpoint)?.lastUdpActivityMs ?? 0, { timeout: 10_000 }).toBeLessThan(Date.now() - 300);
    const sources: string[] = [];
    lab.gateway.wakeups.on('requested', (event) => sources.push(event.source));
    const outcome = nextOutcome(lab, udpOnly.endpoint);
    void lab.core.read(udpOnly.endpoint, '/3/0').catch(() => undefined); // held: answered 5.04 later or at stop
    expect(await outcome).toMatchObject({ result: 'skipped', reason: 'no-sms', triggers: 0 });
    // `requested` is emitted once the add's state is read, which may be after the job has already ended.
    await expect.poll(() => sources, { timeout: 10_000 }).toEqual(['held-request']);
    expect(lab.gateway.relay.counters.held).toBe(1);
    expect(sentSms(lab)).toBe(0);
  }, 90_000);

  it('with asleepRequests hold, requests for a sleeping UQS device are held, one trigger wakes it, the job completes and the device gets them in order over UDP', async () => {
    const lab = await startLab([UQS_DEVICE], {
      deviceGroups: [{ name: 'sleepers', endpoints: [UQS_DEVICE.endpoint], serverModem: 'modem-2', asleepRequests: 'hold' }],
    });
    const device = lab.devices[0]!;
    await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false);
    await expect.poll(() => lab.gateway.mirror.get(UQS_DEVICE.endpoint)?.lastUdpActivityMs ?? 0, { timeout: 10_000 }).toBeLessThan(Date.now() - 300);
    const sources: string[] = [];
    lab.gateway.wakeups.on('requested', (event) => sources.push(event.source));
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    const answered: string[] = [];
    const first = lab.core.read(UQS_DEVICE.endpoint, '/3/0').then((response) => { answered.push('first'); return response; });
    // The second is sent once the first is held (their order is then certain), well before the
    // trigger's round trip (AT+CMGS alone takes 50 ms here) could have woken the device.
    await expect.poll(() => lab.gateway.relay.counters.held, { timeout: 10_000, interval: 2 }).toBe(1);
    const second = lab.core.read(UQS_DEVICE.endpoint, '/1/0').then((response) => { answered.push('second'); return response; });
    await expect.poll(() => lab.gateway.relay.counters.held, { timeout: 10_000 }).toBe(2);
    expect(await outcome).toMatchObject({ result: 'woke', triggers: 1 });
    expect((await first).code).toBe('2.05');
    expect((await second).code).toBe('2.05');
    expect(answered).toEqual(['first', 'second']); // the second left only after the first was answered (NSTART = 1)
    await expect.poll(() => sources, { timeout: 10_000 }).toContain('held-request');
    expect(lab.gateway.relay.counters).toMatchObject({ held: 2, heldDelivered: 2, heldAnsweredByGateway: 0 });
    expect(device.stats.executes).toBe(1); // one trigger, /1/0/8
    expect(sentSms(lab)).toBe(1); // the trigger only: both Reads and their answers went over UDP
    expect(lab.gateway.pool.drivers[1]!.status.counters.sent).toBe(1); // from its server modem
  }, 90_000);

  it('smsbridge wakeup --config <file> <endpoint> enqueues through Redis and prints the job id and state; the gateway wakes the device', async () => {
    const lab = await startLab([UQS_DEVICE]);
    const device = lab.devices[0]!;
    await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false);
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    const run = await smsbridge('wakeup', '--config', lab.configPath, UQS_DEVICE.endpoint);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as { endpoint: string; jobId: string; state: string };
    expect(printed).toMatchObject({ endpoint: UQS_DEVICE.endpoint, jobId: 'wakeup-uqs-sleeper' });
    expect(['waiting', 'active', 'delayed', 'unknown']).toContain(printed.state);
    expect(await outcome).toMatchObject({ result: 'woke', triggers: 1 });
    expect(device.stats.executes).toBe(1);
  }, 90_000);
});
