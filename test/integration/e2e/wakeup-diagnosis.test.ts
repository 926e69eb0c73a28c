/**
 * Trigger delivery diagnosis, the device's answer to its own trigger, the shoulder-tap and the
 * Bootstrap-Request Trigger, end to end: real Redis (private), BullMQ, simulated modems on
 * pseudo-terminals, the simulated SMS network (with its per-number delivery faults) and devices,
 * the lab core (refusing a device's Registers on demand). Nothing here measures time: tests wait
 * for the wake-up service's events and outcomes.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Lab, type LabDeviceSpec } from '../../../src/lab/lab.ts';
import type { GatewayConfig } from '../../../src/gateway/gateway-config.ts';
import { Gateway } from '../../../src/gateway/gateway.ts';
import { CoapCode } from '../../../src/lwm2m/index.ts';
import type { WakeupEvents, WakeupOutcome } from '../../../src/queue/wakeup-service.ts';
import { decodePdu } from '../../../src/sms/index.ts';

/** The user data of a submitted TPDU, as the network saw it. */
function userDataOf(tpduHex: string): { text: string | null; hex: string; srr: boolean } {
  const pdu = decodePdu(tpduHex, { smscPrefix: false });
  if (pdu.type !== 'submit') throw new Error(`not an SMS-SUBMIT: ${pdu.type}`);
  return { text: pdu.userData.text, hex: Buffer.from(pdu.userData.data).toString('hex'), srr: pdu.statusReportRequest };
}

let lab: Lab | null = null;
afterEach(async () => {
  await lab?.stop();
  lab = null;
});

/** Asleep after 300 ms; accepts SMS only from modem-2 (the lab's device group says so). */
const UQS_DEVICE = { msisdn: '+491701250001', endpoint: 'uqs-sleeper', binding: 'UQS', modem: 1, lifetimeSec: 300, awakeWindowMs: 300 } as const;
const WAKEUP = { attempts: 2, backoffMs: 300, maxBackoffMs: 600, ttlMs: 600_000, statusReportWaitMs: 1500 } as const;
/** A back-off no test waits out: only a status report or the device can end such a job. */
const FOREVER = { backoffMs: 3_600_000, maxBackoffMs: 3_600_000, ttlMs: 7_200_000 } as const;
/** The gateway believes modem-1 is the device's server number; the device ignores it: delivered, silent. */
const WRONG_NUMBER = [{ name: 'wrong-number', endpoints: ['*'], serverModem: 'modem-1' }];

async function startLab(devices: readonly LabDeviceSpec[], gateway: Partial<GatewayConfig> = {}): Promise<Lab> {
  lab = await Lab.start({
    cmgsLatencyMs: 50, networkDelayMs: 10, devices,
    gateway: { awakeWindowMs: 300, maintenanceIntervalMs: 200, wakeup: WAKEUP, ...gateway }, core: { responseTimeoutMs: 20_000 },
  });
  for (const device of devices) await expect.poll(() => lab!.gateway.mirror.get(device.endpoint)?.registered, { timeout: 15_000 }).toBe(true);
  for (const device of lab.devices) await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false);
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

describe('trigger delivery diagnosis', () => {
  it('an undeliverable trigger (permanent TP-ST 0x41) stops the job at once, in its back-off, with the status', async () => {
    const lab = await startLab([UQS_DEVICE], { wakeup: { ...WAKEUP, ...FOREVER, attempts: 5 } });
    lab.network.setDeliveryFault(UQS_DEVICE.msisdn, { status: 0x41 });
    const reports: WakeupEvents['trigger-report'][0][] = [];
    lab.gateway.wakeups.on('trigger-report', (report) => reports.push(report));
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    const ended = await outcome;
    expect(ended).toMatchObject({ result: 'gave-up', reason: 'undeliverable', triggers: 1, status: 0x41, statusName: '0x41 incompatible destination (permanent error)' });
    expect(ended.deliveries).toEqual([expect.objectContaining({
      trigger: 1, delivery: 'undeliverable', status: 0x41, permanent: true, diagnosis: 'undeliverable (0x41 incompatible destination (permanent error))',
    })]);
    expect(reports).toEqual([expect.objectContaining({ endpoint: UQS_DEVICE.endpoint, trigger: 1, part: 1, status: 0x41 })]);
    expect(lab.devices[0]!.stats.smsReceived).toBe(0);
    expect(await lab.gateway.wakeups.lastOutcome(UQS_DEVICE.endpoint)).toMatchObject({ reason: 'undeliverable', status: 0x41 });
    expect(await lab.gateway.wakeups.counts()).toMatchObject({ 'gave-up:undeliverable': 1 });
  }, 90_000);

  it('a temporary error (TP-ST 0x62, the SC gave up) does not stop the job: the back-off goes on, each trigger diagnosed', async () => {
    const lab = await startLab([UQS_DEVICE]);
    lab.network.setDeliveryFault(UQS_DEVICE.msisdn, { status: 0x62 });
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    const ended = await outcome;
    expect(ended).toMatchObject({ result: 'gave-up', reason: 'device-silent', triggers: 2 });
    expect(ended.deliveries?.map((d) => [d.trigger, d.delivery, d.status, d.permanent])).toEqual([[1, 'undeliverable', 0x62, false], [2, 'undeliverable', 0x62, false]]);
    expect(ended.deliveries?.[0]?.diagnosis).toBe('undeliverable (0x62 no response from SME (temporary error, SC gave up))');
  }, 90_000);

  it('a device that gets the trigger and stays silent: "delivered, device silent" for every trigger', async () => {
    const lab = await startLab([UQS_DEVICE], { deviceGroups: WRONG_NUMBER });
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    const ended = await outcome;
    expect(ended).toMatchObject({ result: 'gave-up', reason: 'device-silent', triggers: 2 });
    expect(ended.deliveries?.map((d) => [d.delivery, d.status, d.diagnosis])).toEqual([
      ['delivered', 0, 'delivered, device silent'], ['delivered', 0, 'delivered, device silent'],
    ]);
    await expect.poll(() => lab.devices[0]!.stats.smsIgnored, { timeout: 10_000 }).toBe(2);
  }, 90_000);

  it('the diagnosis lives in Redis: a report filed before a restart is in the outcome the next gateway process gives', async () => {
    const lab = await startLab([UQS_DEVICE], { deviceGroups: WRONG_NUMBER, wakeup: { ...WAKEUP, backoffMs: 4000, maxBackoffMs: 4000 } });
    const firstReport = new Promise<void>((resolve) => lab.gateway.wakeups.once('trigger-report', () => resolve()));
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    await firstReport;
    await lab.gateway.stop(); // the job waits in Redis for its back-off, with trigger 1's report
    const next = await Gateway.start(lab.gateway.config);
    try {
      const outcome = await new Promise<WakeupOutcome>((resolve) => next.wakeups.on('outcome', resolve));
      expect(outcome).toMatchObject({ result: 'gave-up', reason: 'device-silent', triggers: 2 });
      expect(outcome.deliveries?.map((d) => [d.trigger, d.diagnosis])).toEqual([[1, 'delivered, device silent'], [2, 'delivered, device silent']]);
    } finally {
      await next.stop();
    }
  }, 90_000);

  it('no status report within statusReportWaitMs: "no report" (the network lost the SMS)', async () => {
    const lab = await startLab([UQS_DEVICE]);
    lab.network.setDeliveryFault(UQS_DEVICE.msisdn, 'drop');
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    const ended = await outcome;
    expect(ended).toMatchObject({ result: 'gave-up', reason: 'device-silent', triggers: 2 });
    expect(ended.deliveries?.map((d) => [d.trigger, d.delivery, d.diagnosis])).toEqual([[1, 'no-report', 'no report'], [2, 'no-report', 'no report']]);
    expect(lab.devices[0]!.stats.smsReceived).toBe(0);
  }, 90_000);
});

describe("a 1.0 device's answer to its trigger", () => {
  it('the ACK (2.04) to a CON trigger is consumed as the device heard, not relayed to the core as an answer to nothing', async () => {
    const lab = await startLab([UQS_DEVICE], { wakeup: { ...WAKEUP, ...FOREVER, triggerMode: 'CON' } });
    const answered: WakeupEvents['trigger-answered'][0][] = [];
    lab.gateway.wakeups.on('trigger-answered', (event) => answered.push(event));
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    const ended = await outcome;
    expect(ended).toMatchObject({ result: 'woke', triggers: 1 });
    await expect.poll(() => answered.length, { timeout: 15_000 }).toBe(1);
    expect(answered[0]).toMatchObject({ endpoint: UQS_DEVICE.endpoint, type: 'ACK', code: CoapCode.CHANGED });
    expect(lab.devices[0]!.stats.executes).toBe(1);
    expect(lab.core.stats.unmatched).toBe(0); // nothing reached the core that answers nothing it sent
    expect(await lab.gateway.wakeups.counts()).toMatchObject({ woke: 1, 'trigger-answered': 1 });
  }, 90_000);
});

describe('shoulder-tap', () => {
  it('a device group with triggerKind shoulder-tap gets the configured binary SMS, not a CoAP trigger', async () => {
    const lab = await startLab([UQS_DEVICE], { wakeup: { ...WAKEUP, attempts: 1, groups: { [UQS_DEVICE.endpoint]: { triggerKind: 'shoulder-tap', shoulderTapHex: 'cafe01' } } } });
    const submitted: string[] = [];
    lab.network.on('submitted', (_from, _to, tpduHex) => submitted.push(tpduHex));
    const triggers: WakeupEvents['trigger'][0][] = [];
    lab.gateway.wakeups.on('trigger', (event) => triggers.push(event));
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    // The simulated device drops an SMS that is no CoAP: the job gives up, with the tap delivered.
    expect(await outcome).toMatchObject({ result: 'gave-up', reason: 'device-silent', triggers: 1, deliveries: [expect.objectContaining({ delivery: 'delivered' })] });
    expect(triggers).toEqual([expect.objectContaining({ kind: 'shoulder-tap', modem: 'modem-2' })]);
    expect(submitted.map(userDataOf)).toEqual([{ text: null, hex: 'cafe01', srr: true }]);
    expect(lab.devices[0]!.stats.executes).toBe(0);
  }, 90_000);

  it('the shoulder-tap text goes out as text', async () => {
    const lab = await startLab([UQS_DEVICE], { wakeup: { ...WAKEUP, attempts: 1, triggerKind: 'shoulder-tap', shoulderTapText: 'WAKE' } });
    const submitted: string[] = [];
    lab.network.on('submitted', (_from, _to, tpduHex) => submitted.push(tpduHex));
    const outcome = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    await outcome;
    expect(submitted.map((hex) => userDataOf(hex).text)).toEqual(['WAKE']);
  }, 90_000);
});

describe('Bootstrap-Request Trigger after repeated registration failures', () => {
  it('after bootstrapAfterFailures refused Registers the device gets /1/0/9 once; the back-off keeps further failures from sending more; a Register clears the count', async () => {
    const lab = await startLab([], { wakeup: { ...WAKEUP, bootstrapAfterFailures: 2, bootstrapBackoffMs: 3_600_000 } });
    const device = { msisdn: '+491701250009', endpoint: 'refused-device', binding: 'UQS', modem: 0, lifetimeSec: 300, registerRetryMs: 100 } as const;
    lab.core.refuseRegisters(device.endpoint, CoapCode.FORBIDDEN);
    const failures: WakeupEvents['registration-failed'][0][] = [];
    const bootstraps: WakeupEvents['bootstrap-trigger'][0][] = [];
    lab.gateway.wakeups.on('registration-failed', (event) => failures.push(event));
    lab.gateway.wakeups.on('bootstrap-trigger', (event) => bootstraps.push(event));
    const sim = await lab.addDevice(device);
    const executed: string[] = [];
    sim.on('request', (request) => executed.push(`${request.method} ${request.path} ${request.bearer}`));
    await expect.poll(() => executed, { timeout: 20_000 }).toEqual(['POST /1/0/9 sms']);
    await expect.poll(() => bootstraps.length, { timeout: 20_000 }).toBe(1); // the send's own answer may come after the SMS
    expect(bootstraps).toEqual([expect.objectContaining({ endpoint: device.endpoint, trigger: 1, failures: 2, modem: 'modem-1' })]);
    expect(bootstraps[0]!.error).toBeUndefined();
    expect(failures.slice(0, 2).map((f) => [f.why, f.failures])).toEqual([['rejected', 1], ['rejected', 2]]);
    // Two more failures after the trigger: counted again from 1, but the back-off holds the next trigger.
    await expect.poll(() => failures.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
    expect(failures[3]!.failures).toBe(2);
    expect(bootstraps).toHaveLength(1);
    const redis = new Redis(lab.redisUrl);
    try {
      const countKey = `${lab.gateway.config.redisPrefix}wakeup:regfail:${device.endpoint}`;
      expect(await redis.hget(countKey, 'triggers')).toBe('1');
      lab.core.refuseRegisters(device.endpoint, null);
      await expect.poll(() => lab.gateway.mirror.get(device.endpoint)?.registered, { timeout: 20_000 }).toBe(true);
      await expect.poll(() => redis.exists(countKey), { timeout: 10_000 }).toBe(0);
    } finally {
      redis.disconnect();
    }
    expect(lab.core.stats.registersRefused).toBeGreaterThanOrEqual(4);
  }, 90_000);
});
