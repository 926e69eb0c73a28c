/**
 * The sleeping devices of bench/sms-cost: the gateway's wake-up of a device, and a UQS and a UQ
 * device in queue mode measured while asleep (see bench/sms-cost.ts).
 */
import type { Lab } from '../../src/lab/lab.ts';
import { objectLinkList, type SimDevice } from '../../src/sim/device/index.ts';
import type { SmsTap } from './sms-tap.ts';
import { measure, OPERATION_TIMEOUT_MS, sleep, timed, type Operation, type SmsCostOptions, type SmsCostRow } from './sms-cost-measure.ts';

/** Awake window of the sleeping devices (and the gateway's): short, so that they fall asleep between operations. */
export const SLEEPER_AWAKE_WINDOW_MS = 1000;

/**
 * Asks the gateway for a wake-up of `endpoint` (the admin API's call) and waits until the job
 * completed and the device's Update over `bearer` was answered; throws on any other outcome.
 * The answer time is the wake-up's own (request → device heard), not a core request's: null for
 * the naive figure (the core sends nothing here).
 */
export async function wakeUp(lab: Lab, device: SimDevice, endpoint: string, bearer: 'sms' | 'udp'): Promise<null> {
  const updated = device.next('updated');
  const outcome = new Promise<unknown>((resolve) => {
    const off = lab.gateway.wakeups.on('outcome', (o) => {
      if (o.endpoint !== endpoint) return;
      off();
      resolve(o);
    });
  });
  await lab.gateway.wakeup(endpoint);
  const ended = await outcome as { result: string; triggers: number };
  if (ended.result !== 'woke' || ended.triggers !== 1) throw new Error(`wake-up of ${endpoint}: ${JSON.stringify(ended)}`);
  const [how, reason] = await updated;
  if (how !== bearer || reason !== 'trigger') throw new Error(`unexpected Update: ${how} ${reason}`);
  return null;
}

/**
 * A queue-mode device with binding UQS (registered over UDP, reachable by SMS): its wake-up
 * (trigger SMS, then its Update over UDP) and a Read of the core while it sleeps (carried as it
 * is then: by SMS, or held until it wakes), each after it fell asleep.
 */
export async function runSleeper(lab: Lab, tap: SmsTap, options: SmsCostOptions): Promise<SmsCostRow[]> {
  const spec = { msisdn: '+491709900003', endpoint: 'cost-uqs' };
  const msisdn = spec.msisdn.replace(/^\+/, '');
  const device = await lab.addDevice({
    msisdn: spec.msisdn, endpoint: spec.endpoint, binding: 'UQS', queueMode: true, modem: 0, awakeWindowMs: SLEEPER_AWAKE_WINDOW_MS,
    objectLinks: objectLinkList(options.objectLinks), lifetimeSec: 86_400, updateIntervalMs: 3_600_000, registerRetryMs: 600_000,
  });
  await device.whenRegistered();
  const rows: SmsCostRow[] = [];
  const operations: [string, Operation][] = [
    ['Wake-up (trigger SMS → Update over UDP)', async (l) => ({ device, outcome: { answerMs: await wakeUp(l, device, spec.endpoint, 'udp') } })],
    ['Read /3/0 while asleep (carried by SMS)', async (l) => ({ device, outcome: { answerMs: await timed(() => l.core.read(spec.endpoint, '/3/0'), '2.05') } })],
  ];
  for (const [operation, run] of operations) {
    await asleep(lab, device, spec.endpoint);
    const measured = await measure(lab, tap, 'UQS', operation, device, msisdn, run, options);
    rows.push(measured.row);
    const r = measured.row;
    process.stderr.write(`  UQS ${operation}: ↑${r.smsUp} ↓${r.smsDown} (minimum ↑${r.minimumUp} ↓${r.minimumDown}) ratio ${r.ratio}\n`);
  }
  await device.stop();
  rows.push(await heldForUqsByTrigger(lab, tap, options));
  rows.push(await heldForUq(lab, tap, options));
  return rows;
}

/** The endpoint of the UQS device whose device group holds its requests while it sleeps (`asleepRequests: hold`). */
export const HOLDING_SLEEPER_ENDPOINT = 'cost-uqs-hold';

/**
 * A UQS device in a device group with `asleepRequests: hold`: a Read of the core while it sleeps
 * is held, the held request asks for a wake-up, one trigger SMS wakes the device, and the Read
 * and its answer go over UDP once it sent its Update.
 */
async function heldForUqsByTrigger(lab: Lab, tap: SmsTap, options: SmsCostOptions): Promise<SmsCostRow> {
  const spec = { msisdn: '+491709900005', endpoint: HOLDING_SLEEPER_ENDPOINT };
  const device = await lab.addDevice({
    msisdn: spec.msisdn, endpoint: spec.endpoint, binding: 'UQS', queueMode: true, modem: 0, awakeWindowMs: SLEEPER_AWAKE_WINDOW_MS,
    objectLinks: objectLinkList(options.objectLinks), lifetimeSec: 86_400, updateIntervalMs: 3_600_000, registerRetryMs: 600_000,
  });
  await device.whenRegistered();
  await asleep(lab, device, spec.endpoint);
  const operation = 'Read /3/0 while asleep (held, woken by one trigger)';
  const measured = await measure(lab, tap, 'UQS', operation, device, spec.msisdn.replace(/^\+/, ''), async (l) => {
    const heldBefore = l.gateway.relay.counters.held;
    const answerMs = await timed(() => l.core.read(spec.endpoint, '/3/0'), '2.05');
    if (l.gateway.relay.counters.held === heldBefore) throw new Error('the Read was not held');
    return { device, outcome: { answerMs } };
  }, options);
  await device.stop();
  const r = measured.row;
  process.stderr.write(`  UQS ${r.operation}: ↑${r.smsUp} ↓${r.smsDown} (minimum ↑${r.minimumUp} ↓${r.minimumDown}) ratio ${r.ratio}\n`);
  return r;
}

/**
 * A request the gateway holds: a Read of the core for a sleeping UQ device (no SMS in its
 * Binding, registered over UDP) waits in the gateway until the device's next Update and is then
 * delivered over UDP. Its wake-up request sends no trigger (nothing in its Binding or
 * registration reaches it by SMS).
 */
async function heldForUq(lab: Lab, tap: SmsTap, options: SmsCostOptions): Promise<SmsCostRow> {
  const spec = { msisdn: '+491709900004', endpoint: 'cost-uq' };
  const device = await lab.addDevice({
    msisdn: spec.msisdn, endpoint: spec.endpoint, binding: 'U', queueMode: true, modem: 0, awakeWindowMs: SLEEPER_AWAKE_WINDOW_MS,
    objectLinks: objectLinkList(options.objectLinks), lifetimeSec: 86_400, updateIntervalMs: 3_600_000, registerRetryMs: 600_000,
  });
  await device.whenRegistered();
  await asleep(lab, device, spec.endpoint);
  const measured = await measure(lab, tap, 'UQ', 'Read /3/0 held until the next Update', device, spec.msisdn.replace(/^\+/, ''), async (l) => {
    const heldBefore = l.gateway.relay.counters.held;
    const answer = timed(() => l.core.read(spec.endpoint, '/3/0'), '2.05');
    const deadline = Date.now() + OPERATION_TIMEOUT_MS;
    while (l.gateway.relay.counters.held === heldBefore) {
      if (Date.now() > deadline) throw new Error('the Read was not held');
      await sleep(50);
    }
    if (!(await device.update('manual'))) throw new Error('the Update failed');
    return { device, outcome: { answerMs: await answer } };
  }, options);
  await device.stop();
  const r = measured.row;
  process.stderr.write(`  UQ ${r.operation}: ↑${r.smsUp} ↓${r.smsDown} (minimum ↑${r.minimumUp} ↓${r.minimumDown}) ratio ${r.ratio}\n`);
  return r;
}

/** Waits until `device` sleeps and the gateway's presence says so too. */
async function asleep(lab: Lab, device: SimDevice, endpoint: string): Promise<void> {
  const deadline = Date.now() + OPERATION_TIMEOUT_MS;
  while (device.awake || lab.gateway.mirror.presence.isAwakeOverUdp(endpoint, Date.now())) {
    if (Date.now() > deadline) throw new Error(`${endpoint} did not fall asleep`);
    await sleep(100);
  }
}
