/**
 * Reliability scenario `modem-loss`: under uplink and downlink load (SMS devices sending Updates,
 * the lab core reading them), the pseudo-terminal of a busy modem disappears and comes back
 * (the simulated modem's unplug/replug fault, as pulling a USB modem), and a modem reboots by
 * itself and prints its banner. Queued work must move to the other modem or wait; nothing may be
 * lost. Measured: how long the gateway takes from the pty's return (or the banner) until the
 * modem is `ready` again (p50/max), what each modem carried while the other was away, and what
 * was lost (must be 0). See docs/reliability.md#modem-loss.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startPrivateRedis } from '../../src/sim/private-redis.ts';
import { p50Max, startFaultRig, startLoad, until, type FaultRig } from './fault-rig.ts';

/** The scenario's figures (the JSON of its last line). */
export interface ModemLossResult extends Record<string, unknown> {
  readonly scenario: 'modem-loss';
  readonly devices: number;
  readonly unplugCycles: number;
  readonly reboots: number;
  /** From replug to the gateway's `ready` of that modem. */
  readonly replugToReady: ReturnType<typeof p50Max>;
  /** From the gateway's first sign of the loss (state leaves ready) after unplug. */
  readonly unplugToNoticed: ReturnType<typeof p50Max>;
  /** From the reboot to `ready` again (the driver sees the banner, re-initialises). */
  readonly rebootToReady: ReturnType<typeof p50Max>;
  /** SMS the other modem sent / the unplugged one sent while unplugged (downlink moved over). */
  readonly sentByOtherWhileAway: number;
  readonly deliveriesRefusedWhileAway: number;
  readonly updatesSent: number;
  readonly updatesAnswered: number;
  readonly readsSent: number;
  readonly readsOk: number;
  readonly readsFailed: Readonly<Record<string, number>>;
  /**
   * Reads the gateway answered 5.03 itself because their SMS did not leave or its outcome is
   * unknown (the PDU had reached the modem when the pty vanished or it restarted): reported to the
   * core, which may ask again; not sent twice blindly.
   */
  readonly readsReportedUnsent: number;
  /** Updates or Reads that never got an answer (silently lost); inbox entries left unacknowledged. */
  readonly lost: number;
  readonly inboxPending: number;
  readonly gatewayStillRunning: boolean;
  /** Nothing lost, nothing left pending, the gateway still up. */
  readonly pass: boolean;
}

async function inboxPending(redisUrl: string): Promise<number> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const pending = (await client.xpending('fault:inbox:messages', 'relay')) as [number, ...unknown[]];
    return Number(pending[0]);
  } finally {
    client.disconnect();
  }
}

/** Waits for the first state log line of `modem` from line `from` on that satisfies `state`; returns its arrival time. */
async function stateAt(rig: FaultRig, modem: string, from: number, state: (s: string) => boolean): Promise<number> {
  const line = await rig.gateway.waitFor((r) => r.modem === modem && typeof r.state === 'string' && state(r.state), from);
  return line.atMs;
}

/** Runs the scenario; `quick` for a shorter run (fewer cycles, fewer devices). */
export async function run(options: { quick: boolean }): Promise<ModemLossResult> {
  const cycles = options.quick ? 2 : 5;
  const devices = options.quick ? 4 : 8;
  const holdMs = options.quick ? 2000 : 5000;
  const redis = await startPrivateRedis();
  let rig: FaultRig | null = null;
  try {
    rig = await startFaultRig({ redisUrl: redis.url, devices });
    const load = startLoad(rig, { updateGapMs: 200, readers: 2, readGapMs: 100 });
    await until('the load is flowing', () => load.updatesAnswered() >= devices * 2 && load.readsOk() >= 4);
    const replugToReady: number[] = [];
    const unplugToNoticed: number[] = [];
    const rebootToReady: number[] = [];
    let sentByOtherWhileAway = 0;
    let deliveriesRefusedWhileAway = 0;
    for (let cycle = 0; cycle < cycles; cycle++) {
      // The busier modem of the two (by SMS sent and received so far) loses its pty.
      const busy = rig.modems.map((m, i) => ({ i, traffic: m.stats.smsSent + m.stats.smsReceived })).sort((a, b) => b.traffic - a.traffic)[0]!.i;
      const name = `modem-${busy + 1}`;
      const away = rig.modems[busy]!;
      const other = rig.modems[1 - busy]!;
      const otherSentBefore = other.stats.smsSent;
      const refusedBefore = away.stats.deliveriesRefused;
      const from = rig.gateway.lines.length;
      const unpluggedAt = performance.now();
      await away.unplug();
      unplugToNoticed.push((await stateAt(rig, name, from, (s) => s !== 'ready')) - unpluggedAt);
      await new Promise((resolve) => setTimeout(resolve, holdMs)); // the pty stays away this long, under load
      sentByOtherWhileAway += other.stats.smsSent - otherSentBefore;
      deliveriesRefusedWhileAway += away.stats.deliveriesRefused - refusedBefore;
      const back = rig.gateway.lines.length;
      const repluggedAt = performance.now();
      await away.replug();
      replugToReady.push((await stateAt(rig, name, back, (s) => s === 'ready')) - repluggedAt);
      await until('load flows again', () => load.updatesAnswered() > 0);

      // A modem restarts by itself: deaf for a moment, then its banner.
      const rebooting = rig.modems[cycle % 2]!;
      const rebootName = `modem-${(cycle % 2) + 1}`;
      const beforeReboot = rig.gateway.lines.length;
      const rebootAt = performance.now();
      rebooting.reboot();
      await rig.gateway.waitFor((r) => r.modem === rebootName && r.msg === 'modem restarted by itself', beforeReboot);
      rebootToReady.push((await stateAt(rig, rebootName, beforeReboot, (s) => s === 'ready')) - rebootAt);
    }
    const result = await load.stop();
    await until('the inbox is drained', async () => (await inboxPending(redis.url)) === 0, 120_000).catch(() => undefined);
    const pending = await inboxPending(redis.url);
    const readsReportedUnsent = result.readsFailed['5.03'] ?? 0;
    const readsLost = result.readsSent - result.readsOk - readsReportedUnsent;
    return {
      scenario: 'modem-loss', devices, unplugCycles: cycles, reboots: cycles,
      replugToReady: p50Max(replugToReady), unplugToNoticed: p50Max(unplugToNoticed), rebootToReady: p50Max(rebootToReady),
      sentByOtherWhileAway, deliveriesRefusedWhileAway,
      updatesSent: result.updatesSent, updatesAnswered: result.updatesAnswered, readsSent: result.readsSent, readsOk: result.readsOk, readsFailed: result.readsFailed,
      readsReportedUnsent, lost: result.updatesFailed + readsLost, inboxPending: pending, gatewayStillRunning: rig.gateway.child.exitCode === null,
      pass: result.updatesFailed + readsLost === 0 && pending === 0 && rig.gateway.child.exitCode === null,
    };
  } finally {
    await rig?.stop();
    await redis.stop();
  }
}

/** The scenario as bench/reliability/index.ts lists it (`npm run bench:reliability -- modem-loss`). */
export const modemLoss = { name: 'modem-loss', run } as const;
