/**
 * The adaptive receive route (`receiveRoute: auto`, the default; src/modem/receive-route.ts)
 * against simulated modems on real pseudo-terminals through serialport, the simulated network
 * and a private Redis: a lone SMS stays on direct delivery (one `AT+CNMA`), a burst switches to
 * the stored route read in batches and persists each SMS exactly once, quiet switches back, an
 * SMS arriving while either switch is on the line is taken once, and a modem that refuses the
 * switch stays where it was. The thresholds are given to the driver so that what counts as a
 * burst does not depend on this machine's speed: every +CMT is back to back. Quiet (the switch
 * back) is a time by nature: 1.5 s, far above the gaps within a test's burst (at most 90 ms),
 * so that a stall of a loaded machine inside a burst does not end it early.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { ModemDriver } from '../../../src/modem/modem-driver.ts';
import type { PersistReceived, ReceivedPdu } from '../../../src/modem/modem-types.ts';
import { GENERIC_PROFILE } from '../../../src/modem/profile.ts';
import { RECEIVE_ROUTE_THRESHOLDS, type ReceiveRouteThresholds } from '../../../src/modem/receive-route-states.ts';
import type { SimModem } from '../../../src/sim/modem/index.ts';
import { DELIVER_CLASSIC, DELIVER_INTERNATIONAL_TEST2 } from '../../fixtures/pdu/vectors.ts';
import { bytes, hex, inbox, onCleanup, PROFILES, redis, startDevice, startNetwork, startSimModem, testConfig, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();

const GATEWAY = '+491700000001';
/** Any +CMT after an acknowledgement is back to back; a burst is 3 of them. */
const EVERY_CMT_BACK_TO_BACK = { backToBackGapMs: 600_000, burstLength: 3 };
const STAYS_STORED: ReceiveRouteThresholds = { ...EVERY_CMT_BACK_TO_BACK, quietMs: 600_000 };
const QUIET_SOON: ReceiveRouteThresholds = { ...EVERY_CMT_BACK_TO_BACK, quietMs: 1500 };
/** The generic simulated modem's settings (its AT+CNMI=? offers both). */
const DIRECT_CNMI = 'AT+CNMI=2,2,0,2,0';
const STORED_CNMI = 'AT+CNMI=2,1,0,2,0';

const problems: string[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  problems.length = 0;
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Records every persistence, then persists into the inbox. */
function recordingPersist(): { persist: PersistReceived; calls: ReceivedPdu[] } {
  const box = inbox();
  const calls: ReceivedPdu[] = [];
  return { calls, persist: async (pdu) => void (calls.push(pdu), await box.accept(pdu)) };
}

/** A driver with the default configuration (`receiveRoute: auto`, `storedRead: batch`), ready and swept. */
async function readyDriver(sim: SimModem, persist: PersistReceived, thresholds: ReceiveRouteThresholds): Promise<{ driver: ModemDriver; commands: string[] }> {
  const driver = new ModemDriver(testConfig('a', sim.linkPath, { watchdogIntervalMs: 600_000 }), { profiles: PROFILES, persist, receiveRouteThresholds: thresholds });
  onCleanup(() => driver.stop());
  const commands: string[] = [];
  driver.on('trace', (direction, line) => direction === 'tx' && line.startsWith('AT') && commands.push(line));
  driver.on('problem', (error) => problems.push(error.code));
  driver.start();
  await driver.waitFor('ready', 10_000);
  await driver.sweep();
  expect(driver.status.receiveRoute).toBe('direct');
  expect(driver.status.receiveRouteState).toBe('direct');
  commands.length = 0;
  return { driver, commands };
}

const storedCount = (sim: SimModem): number => sim.status.used.ME + sim.status.used.SM;

/** `count` SMS submitted at once: the network delivers each as soon as the modem took the previous. */
async function burst(sim: SimModem, from: string, count: number, seed: number): Promise<Uint8Array[]> {
  const network = networks.get(sim);
  if (network === undefined) throw new Error('no network');
  const device = await startDevice(network, from);
  const payloads = Array.from({ length: count }, (_, i) => bytes(30, seed + i));
  await Promise.all(payloads.map((payload) => device.send(GATEWAY, payload)));
  return payloads;
}

const networks = new Map<SimModem, Awaited<ReturnType<typeof startNetwork>>>();
async function simWithNetwork(): Promise<SimModem> {
  const network = await startNetwork();
  const sim = await startSimModem(network);
  networks.set(sim, network);
  onCleanup(async () => void networks.delete(sim));
  return sim;
}

async function inboxPayloads(): Promise<string[]> {
  return (await inbox().messages()).map((m) => m.message.dataHex).sort();
}

describe('adaptive receive route (receiveRoute: auto)', () => {
  it('a lone SMS stays on direct delivery: exactly one AT+CNMA, no list', async () => {
    const sim = await simWithNetwork();
    const { calls, persist } = recordingPersist();
    const { driver, commands } = await readyDriver(sim, persist, STAYS_STORED);
    const [payload] = await burst(sim, '+491701111111', 1, 7);
    await expect.poll(inboxPayloads, { timeout: 10_000 }).toEqual([hex(payload ?? new Uint8Array())]);
    await expect.poll(() => sim.status.awaitingCnma, { timeout: 10_000 }).toBe(false);
    expect(commands).toEqual(['AT+CNMA']);
    expect(calls.map((c) => c.via)).toEqual(['cmt']);
    expect(driver.status.receiveRouteState).toBe('direct');
    expect(driver.status.counters.receiveRouteSwitches).toBe(0);
  });

  it('a burst of 24 switches to the stored route before the 4th AT+CNMA and persists each SMS exactly once', async () => {
    const sim = await simWithNetwork();
    const { calls, persist } = recordingPersist();
    const { driver, commands } = await readyDriver(sim, persist, STAYS_STORED);
    const payloads = await burst(sim, '+491702222222', 24, 1);
    await expect.poll(inboxPayloads, { timeout: 20_000 }).toEqual(payloads.map(hex).sort());
    await expect.poll(() => storedCount(sim), { timeout: 10_000 }).toBe(0);
    expect(calls).toHaveLength(24); // each persisted once, none twice
    expect(new Set(calls.map((c) => c.pduHex)).size).toBe(24);
    // Three back to back after the first: the switch goes out between the 4th's persistence and its AT+CNMA.
    expect(calls.slice(0, 4).map((c) => c.via)).toEqual(['cmt', 'cmt', 'cmt', 'cmt']);
    expect(calls.slice(4).every((c) => c.via !== 'cmt')).toBe(true);
    expect(commands.slice(0, 5)).toEqual(['AT+CNMA', 'AT+CNMA', 'AT+CNMA', STORED_CNMI, 'AT+CNMA']);
    expect(commands.slice(5).every((c) => /^AT\+CMG[LD]=/.test(c))).toBe(true);
    expect(driver.status).toMatchObject({ receiveRoute: 'stored', receiveRouteState: 'stored', counters: { receiveRouteSwitches: 1, received: 24 } });
    expect(sim.status.cnmi.mt).toBe(1);
    expect(sim.stats.cnmaTimeouts).toBe(0);
  });

  it('switches back to direct after quiet, lists once, and the next SMS comes as +CMT again', async () => {
    const sim = await simWithNetwork();
    const { calls, persist } = recordingPersist();
    const { driver, commands } = await readyDriver(sim, persist, QUIET_SOON);
    const payloads = await burst(sim, '+491703333333', 6, 40);
    await expect.poll(() => driver.status.counters.receiveRouteSwitches, { timeout: 20_000 }).toBe(2);
    expect(driver.status.receiveRouteState).toBe('direct');
    expect(sim.status.cnmi.mt).toBe(2);
    const back = commands.indexOf(DIRECT_CNMI);
    expect(back).toBeGreaterThan(commands.indexOf(STORED_CNMI));
    expect(commands[back + 1]).toBe('AT+CMGL=0'); // the one list after switching back
    const later = await burst(sim, '+491703333334', 1, 90);
    await expect.poll(inboxPayloads, { timeout: 10_000 }).toEqual([...payloads, ...later].map(hex).sort());
    expect(calls.at(-1)?.via).toBe('cmt');
    expect(commands.at(-1)).toBe('AT+CNMA');
    expect(calls).toHaveLength(7);
    expect(storedCount(sim)).toBe(0);
  });

  it('an SMS arriving while either switch is on the line is persisted exactly once', async () => {
    const sim = await simWithNetwork();
    const { calls, persist } = recordingPersist();
    const { driver } = await readyDriver(sim, persist, QUIET_SOON);
    const injected: Promise<unknown>[] = [];
    // Each switch's AT+CNMI is written and not yet read by the modem: a delivery reaches the ME now.
    driver.on('trace', (direction, line) => {
      if (direction !== 'tx') return;
      if (line === STORED_CNMI) injected.push(sim.injectIncoming(DELIVER_CLASSIC.hex)); // waits: a +CMT awaits AT+CNMA
      if (line === DIRECT_CNMI) injected.push(sim.injectIncoming(DELIVER_INTERNATIONAL_TEST2.hex)); // stored, +CMTI before the OK
    });
    const payloads = await burst(sim, '+491704444444', 5, 60);
    await expect.poll(() => driver.status.counters.receiveRouteSwitches, { timeout: 20_000 }).toBe(2);
    expect(await Promise.all(injected)).toEqual([{ ok: true }, { ok: true }]);
    await expect.poll(() => calls.length, { timeout: 10_000 }).toBe(7);
    await expect.poll(() => storedCount(sim), { timeout: 10_000 }).toBe(0);
    const pdus = calls.map((c) => c.pduHex.toUpperCase());
    expect(pdus.filter((p) => p === DELIVER_CLASSIC.hex.toUpperCase())).toHaveLength(1);
    expect(pdus.filter((p) => p === DELIVER_INTERNATIONAL_TEST2.hex.toUpperCase())).toHaveLength(1);
    expect(new Set(pdus).size).toBe(7);
    const stream = await inbox().messages();
    expect(stream).toHaveLength(7);
    expect(stream.map((m) => m.message.dataHex).filter((d) => payloads.map(hex).includes(d))).toHaveLength(5);
    expect(driver.status.receiveRouteState).toBe('direct');
  });

  it('a modem that refuses the switch (ERROR) stays on direct delivery, reported once, never asked again', async () => {
    const sim = await simWithNetwork();
    const { calls, persist } = recordingPersist();
    const { driver, commands } = await readyDriver(sim, persist, STAYS_STORED);
    sim.refuseNext('+CNMI=2,1');
    const payloads = await burst(sim, '+491705555555', 8, 20);
    await expect.poll(inboxPayloads, { timeout: 20_000 }).toEqual(payloads.map(hex).sort());
    await expect.poll(() => sim.status.awaitingCnma, { timeout: 10_000 }).toBe(false);
    expect(calls.map((c) => c.via)).toEqual(Array.from({ length: 8 }, () => 'cmt'));
    expect(commands.filter((c) => c.startsWith('AT+CNMI'))).toEqual([STORED_CNMI]);
    expect(commands.filter((c) => c === 'AT+CNMA')).toHaveLength(8);
    expect(problems.filter((code) => code === 'GW_ERR_MODEM_ROUTE_SWITCH')).toHaveLength(1);
    expect(driver.status).toMatchObject({ receiveRoute: 'direct', receiveRouteState: 'direct-fixed', counters: { receiveRouteSwitches: 0 } });
    expect(sim.status.cnmi.mt).toBe(2);
  });

  it('receiveRoute: direct never switches; a profile without direct delivery stays stored', async () => {
    const sim = await simWithNetwork();
    const { persist } = recordingPersist();
    const direct = new ModemDriver(testConfig('d', sim.linkPath, { receiveRoute: 'direct', watchdogIntervalMs: 600_000 }), { profiles: PROFILES, persist, receiveRouteThresholds: STAYS_STORED });
    onCleanup(() => direct.stop());
    direct.start();
    await direct.waitFor('ready', 10_000);
    const payloads = await burst(sim, '+491706666666', 6, 30);
    await expect.poll(inboxPayloads, { timeout: 20_000 }).toEqual(payloads.map(hex).sort());
    expect(direct.status).toMatchObject({ receiveRoute: 'direct', receiveRouteState: 'direct-fixed', counters: { receiveRouteSwitches: 0 } });
    await direct.stop();

    const stored = new ModemDriver(testConfig('s', sim.linkPath, { profile: 'stored-only', watchdogIntervalMs: 600_000 }), {
      profiles: [{ ...GENERIC_PROFILE, name: 'stored-only', directDelivery: false }], persist, receiveRouteThresholds: STAYS_STORED,
    });
    onCleanup(() => stored.stop());
    stored.start();
    await stored.waitFor('ready', 10_000);
    expect(stored.status).toMatchObject({ receiveRoute: 'stored', receiveRouteState: 'stored-fixed' });
  });
});

describe('adaptive receive route, across a crash', () => {
  /** The default configuration in its own process; waits `storedWaitMs` before persisting an SMS read from storage. */
  function startReceiver(link: string, storedWaitMs: number): { child: ChildProcessWithoutNullStreams; events: { event: string; via?: string }[] } {
    const url = `redis://127.0.0.1:${(redis().options.port ?? 6379).toString()}`;
    const args = ['--import', 'tsx', 'test/support/receiver-process.ts', link, url, String(storedWaitMs), '0', '60000', 'auto', 'stored', '600000'];
    const child = spawn(process.execPath, args, { stdio: 'pipe' });
    children.push(child);
    const events: { event: string; via?: string }[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => events.push(JSON.parse(line) as { event: string }));
    return { child, events };
  }

  it('killed mid-burst on the stored route (listed, not persisted): the restart persists every SMS once', async () => {
    const sim = await simWithNetwork();
    const first = startReceiver(sim.linkPath, 30_000); // +CMT persisted at once; a stored SMS "hangs" before persisting
    await expect.poll(() => first.events.some((e) => e.event === 'swept'), { timeout: 15_000 }).toBe(true);
    const payloads = await burst(sim, '+491707777777', 8, 70);
    await expect.poll(() => sim.stats.smsReceived, { timeout: 15_000 }).toBe(8);
    await expect.poll(() => first.events.some((e) => e.event === 'read' && e.via === 'cmti'), { timeout: 15_000 }).toBe(true);
    const exited = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await exited;
    // The first two came by +CMT (persisted, acknowledged): the second, back to back, switched the
    // rest of the burst to storage (burstLength 1).
    const direct = 2;
    expect(RECEIVE_ROUTE_THRESHOLDS.burstLength + 1).toBe(direct);
    expect(first.events.filter((e) => e.event === 'persisted')).toHaveLength(direct);
    expect(await inbox().messages()).toHaveLength(direct);
    expect(sim.status.cnmi.mt).toBe(1);
    expect(sim.messages('ME').map((m) => m.stat)).toContain(1); // listed (read) by the killed batch

    const second = startReceiver(sim.linkPath, 0);
    await expect.poll(inboxPayloads, { timeout: 15_000 }).toEqual(payloads.map(hex).sort());
    await expect.poll(() => storedCount(sim), { timeout: 10_000 }).toBe(0);
    expect(second.events.filter((e) => e.event === 'read').map((e) => e.via)).toEqual(Array.from({ length: 8 - direct }, () => 'sweep'));
    expect(sim.status.cnmi.mt).toBe(2); // the restart is on direct delivery again
  }, 60_000);
});
