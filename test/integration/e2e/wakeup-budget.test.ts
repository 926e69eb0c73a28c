/**
 * The SMS budget and wake-ups end to end: a trigger is spent from the device's daily budget and
 * counted as a `trigger`; past the budget the wake-up job sends nothing and gives up with
 * `budget-exhausted`, and an event says why. Real Redis (private), BullMQ, simulated modems on
 * pseudo-terminals, the simulated SMS network and device, the lab core.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BudgetRefusal } from '../../../src/bridge/sms-budget.ts';
import { Lab } from '../../../src/lab/lab.ts';
import type { WakeupOutcome } from '../../../src/queue/wakeup-service.ts';

let lab: Lab | null = null;
afterEach(async () => {
  await lab?.stop();
  lab = null;
});

/** Asleep after 300 ms; accepts SMS only from modem-2 (the lab's device group says so). */
const UQS_DEVICE = { msisdn: '+491701260001', endpoint: 'uqs-budget', binding: 'UQS', modem: 1, lifetimeSec: 300, awakeWindowMs: 300 } as const;

function nextOutcome(lab: Lab, endpoint: string): Promise<WakeupOutcome> {
  return new Promise((resolve) => {
    const off = lab.gateway.wakeups.on('outcome', (outcome) => {
      if (outcome.endpoint !== endpoint) return;
      off();
      resolve(outcome);
    });
  });
}

const sentSms = (lab: Lab): number => lab.gateway.pool.drivers.reduce((sum, driver) => sum + driver.status.counters.sent, 0);

describe('wake-ups and the SMS budget', () => {
  it('spends one part on a trigger; past the budget the job sends nothing and gives up with budget-exhausted', async () => {
    lab = await Lab.start({
      cmgsLatencyMs: 50, networkDelayMs: 10, devices: [UQS_DEVICE],
      gateway: { awakeWindowMs: 300, maintenanceIntervalMs: 200, wakeup: { attempts: 3, backoffMs: 300, maxBackoffMs: 600, ttlMs: 60_000 }, smsBudget: { perDevicePerDay: 1 } },
      core: { responseTimeoutMs: 20_000 },
    });
    await expect.poll(() => lab!.gateway.mirror.get(UQS_DEVICE.endpoint)?.registered, { timeout: 15_000 }).toBe(true);
    const device = lab.devices[0]!;
    await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false);
    const woke = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    expect(await woke).toMatchObject({ result: 'woke', triggers: 1 });
    expect(lab.gateway.spend.budget.spentToday(UQS_DEVICE.endpoint)).toBe(1);
    expect(lab.gateway.spend.operations.sent.trigger).toBe(1);
    // The simulated device answers the NON trigger with a NON 2.04 by SMS (its Update goes over UDP).
    await expect.poll(() => lab!.gateway.spend.operations.received.response, { timeout: 10_000 }).toBe(1);
    expect(lab.gateway.spend.operations.received.update).toBe(0);

    await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false);
    const refusals: BudgetRefusal[] = [];
    lab.gateway.wakeups.on('sms-refused', (refusal) => refusals.push(refusal));
    const gaveUp = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    expect(await gaveUp).toMatchObject({ result: 'gave-up', reason: 'budget-exhausted', triggers: 0 });
    expect(refusals).toEqual([expect.objectContaining({ reason: 'budget-exhausted', endpoint: UQS_DEVICE.endpoint, scope: 'device', spent: 1, budget: 1 })]);
    expect(sentSms(lab)).toBe(1);
    expect(device.stats.executes).toBe(1);
    expect(lab.gateway.spend.operations.sent.trigger).toBe(1);
    // The device's NON 2.04 answers its trigger: consumed as `trigger-answered`, not relayed.
    await expect.poll(() => lab!.gateway.wakeups.counts(), { timeout: 10_000 }).toEqual({ woke: 1, 'gave-up:budget-exhausted': 1, 'trigger-answered': 1 });
  }, 90_000);
});

describe('wake-up heard before the modem reports +CMGS', () => {
  it('completes at once when the device answers the trigger while the modem still waits for +CMGS, not after the back-off', async () => {
    // The simulated network delivers on submission; the modem answers +CMGS 4 s later. The device
    // Updates over UDP long before; the 10-minute back-off would hold the job without the fix.
    lab = await Lab.start({
      cmgsLatencyMs: 4000, networkDelayMs: 10, devices: [UQS_DEVICE],
      gateway: { awakeWindowMs: 300, maintenanceIntervalMs: 200, wakeup: { attempts: 3, backoffMs: 600_000, maxBackoffMs: 600_000, ttlMs: 3_600_000 } },
      core: { responseTimeoutMs: 20_000 },
    });
    await expect.poll(() => lab!.gateway.mirror.get(UQS_DEVICE.endpoint)?.registered, { timeout: 15_000 }).toBe(true);
    const device = lab.devices[0]!;
    await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false);
    const woke = nextOutcome(lab, UQS_DEVICE.endpoint);
    await lab.gateway.wakeup(UQS_DEVICE.endpoint);
    expect(await woke).toMatchObject({ result: 'woke', triggers: 1 });
    expect(device.stats.executes).toBe(1);
  }, 60_000);
});
