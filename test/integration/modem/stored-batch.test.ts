/**
 * The stored route read in batches (`storedRead: batch`, src/modem/stored-batch.ts), against
 * simulated modems on real pseudo-terminals through serialport, the simulated network and a
 * private Redis: every unread SMS listed with one `AT+CMGL=0`, persisted together, deleted with
 * one `AT+CMGD=<i>,1` (with the next batch's list on the same line when one is due); SMS arriving during a batch stay for the next; a crash between the list
 * and the persistence loses nothing (the restart lists all with `AT+CMGL=4`); a modem without
 * `<delflag>` gets one `AT+CMGD=<i>` per persisted SMS; a modem that refuses the concatenated
 * delete-and-list line gets a full list and separate lines, and loses or duplicates nothing.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModemDriver } from '../../../src/modem/modem-driver.ts';
import type { PersistReceived, ReceivedPdu } from '../../../src/modem/modem-types.ts';
import { SIM_PROFILES } from '../../../src/sim/modem/profiles.ts';
import type { SimModem } from '../../../src/sim/modem/index.ts';
import { bytes, hex, inbox, redis, startDevice, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();

const GATEWAY = '+491700000001';

const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Persists into the inbox; while held, each call waits until it is let through. Records every call. */
function gatedPersist(): { persist: PersistReceived; calls: ReceivedPdu[]; hold: () => void; releaseOne: () => void; release: () => void } {
  const box = inbox();
  const calls: ReceivedPdu[] = [];
  let held = false;
  const waiting: (() => void)[] = [];
  return {
    calls,
    persist: async (pdu) => {
      calls.push(pdu);
      if (held) await new Promise<void>((resolve) => waiting.push(resolve));
      await box.accept(pdu);
    },
    hold: () => {
      held = true;
    },
    releaseOne: () => waiting.shift()?.(),
    release: () => {
      held = false;
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

/** The AT command lines the driver writes, in order. */
function commandsOf(driver: ModemDriver): string[] {
  const log: string[] = [];
  driver.on('trace', (direction, line) => direction === 'tx' && line.startsWith('AT') && log.push(line));
  return log;
}

const storedCount = (sim: SimModem): number => sim.status.used.ME + sim.status.used.SM;

async function readyDriver(sim: SimModem, persist: PersistReceived): Promise<{ driver: ModemDriver; commands: string[] }> {
  // The shipped profiles prefer direct delivery on this modem: `receiveRoute: stored` overrides it.
  // No watchdog during the test: the modem's command count is the receive path's alone.
  const driver = startDriver(testConfig('a', sim.linkPath, { receiveRoute: 'stored', storedRead: 'batch', watchdogIntervalMs: 600_000 }), undefined, persist);
  const commands = commandsOf(driver);
  await driver.waitFor('ready', 10_000);
  await driver.sweep();
  expect(driver.status.receiveRoute).toBe('stored');
  expect(sim.status.csms).toBe(1); // phase 2+ would allow the direct route
  return { driver, commands };
}

describe('stored route read in batches', () => {
  it('20 SMS back to back: each persisted exactly once, fewer than 2 AT commands per SMS (counted by the modem)', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const gated = gatedPersist();
    const { commands } = await readyDriver(sim, gated.persist);
    expect(commands).toContain('AT+CMGD=?'); // probed once, at the start-up sweep
    const linesBefore = sim.stats.commandLines;
    const commandsBefore = commands.length;

    // The first batch's persistence waits until the network handed all 20 to the modem, so the
    // rest arrive during a batch (as they do back to back) and must coalesce into the next one.
    gated.hold();
    const device = await startDevice(network, '+491705555555');
    await Promise.all(Array.from({ length: 20 }, (_, i) => device.send(GATEWAY, bytes(30, i + 1))));
    await expect.poll(() => sim.stats.smsReceived, { timeout: 10_000 }).toBe(20);
    gated.release();

    await expect.poll(async () => (await inbox().messages()).length, { timeout: 15_000 }).toBe(20);
    await expect.poll(() => storedCount(sim), { timeout: 10_000 }).toBe(0);
    const payloads = gated.calls.map((c) => c.pduHex);
    expect(new Set(payloads).size).toBe(20);
    expect(payloads).toHaveLength(20); // persisted exactly once each, not once more per batch
    const after = commands.slice(commandsBefore);
    // The first list, then the delete with the next batch's list on the same line, then the last delete.
    expect(after[0]).toBe('AT+CMGL=0');
    expect(after[1]).toMatch(/^AT\+CMGD=\d+,1;\+CMGL=0$/);
    expect(after.every((c) => c === 'AT+CMGL=0' || /^AT\+CMGD=\d+,1(;\+CMGL=0)?$/.test(c))).toBe(true);
    expect(after.length).toBeLessThanOrEqual(4); // a last +CMTI may still be on the line after the second list
    expect((sim.stats.commandLines - linesBefore) / 20).toBeLessThan(2);
    expect(sim.stats.commandLines - linesBefore).toBeLessThanOrEqual(4);
    expect((await inbox().messages()).map((m) => m.message.dataHex).sort()).toEqual(Array.from({ length: 20 }, (_, i) => hex(bytes(30, i + 1))).sort());
  });

  // Firmware that takes one command per line answers the delete-and-list line with ERROR, having
  // run none of it (`refuse`) or only the delete (`first`): the reader cannot know which.
  for (const concatenation of ['refuse', 'first'] as const) {
    it(`a modem that answers the concatenated AT+CMGD=<i>,1;+CMGL=0 with ERROR (${concatenation === 'refuse' ? 'nothing ran' : 'the delete ran'}): a full list next, separate lines after, every SMS in the inbox once`, async () => {
      const network = await startNetwork();
      const sim = await startSimModem(network, { profile: { ...SIM_PROFILES.generic, concatenation } });
      const gated = gatedPersist();
      const { commands } = await readyDriver(sim, gated.persist);
      const before = commands.length;

      // As above: the first batch's persistence waits until all are on the modem, so a batch is
      // due when its delete goes out, and the delete carries the next list on its line.
      gated.hold();
      const device = await startDevice(network, '+491705555556');
      await Promise.all(Array.from({ length: 12 }, (_, i) => device.send(GATEWAY, bytes(30, i + 1))));
      await expect.poll(() => sim.stats.smsReceived, { timeout: 10_000 }).toBe(12);
      const firstBatch = gated.calls.length;
      expect(firstBatch).toBeGreaterThan(0);
      gated.release();

      await expect.poll(() => storedCount(sim), { timeout: 15_000 }).toBe(0);
      const expected = Array.from({ length: 12 }, (_, i) => hex(bytes(30, i + 1))).sort();
      await expect.poll(async () => (await inbox().messages()).map((m) => m.message.dataHex).sort(), { timeout: 10_000 }).toEqual(expected);
      const after = commands.slice(before);
      const combined = after.filter((c) => c.includes(';'));
      expect(combined).toHaveLength(1); // refused once, never again on this connection
      expect(combined[0]).toMatch(/^AT\+CMGD=\d+,1;\+CMGL=0$/);
      // After the refused line: the full list, then a delete on a line of its own.
      const rest = after.slice(after.indexOf(combined[0]!) + 1);
      expect(rest[0]).toBe('AT+CMGL=4');
      expect(rest.slice(1).every((c) => c === 'AT+CMGL=0' || /^AT\+CMGD=\d+,1$/.test(c))).toBe(true);
      // Every SMS persisted; those of the first batch twice only when their delete did not run
      // (the inbox's de-duplication publishes them once).
      expect(new Set(gated.calls.map((c) => c.pduHex)).size).toBe(12);
      expect(gated.calls).toHaveLength(concatenation === 'refuse' ? 12 + firstBatch : 12);
      expect(await inbox().messages()).toHaveLength(12);

      // A second burst on this connection: a batch is due again when a delete goes out, and the
      // delete and the list now go on lines of their own.
      const callsBefore = gated.calls.length;
      const secondBefore = commands.length;
      gated.hold();
      await Promise.all(Array.from({ length: 6 }, (_, i) => device.send(GATEWAY, bytes(30, 100 + i))));
      await expect.poll(() => sim.stats.smsReceived, { timeout: 10_000 }).toBe(18);
      gated.release();
      await expect.poll(() => storedCount(sim), { timeout: 15_000 }).toBe(0);
      await expect.poll(async () => (await inbox().messages()).length, { timeout: 10_000 }).toBe(18);
      const second = commands.slice(secondBefore);
      expect(second.filter((c) => c.startsWith('AT+CMGL=')).length).toBeGreaterThanOrEqual(2); // the burst took more than one batch
      expect(second.every((c) => c === 'AT+CMGL=0' || /^AT\+CMGD=\d+,1$/.test(c))).toBe(true);
      expect(gated.calls.length - callsBefore).toBe(6);
      expect((await inbox().messages()).map((m) => m.message.dataHex).sort()).toEqual([...expected, ...Array.from({ length: 6 }, (_, i) => hex(bytes(30, 100 + i)))].sort());
    });
  }

  it('an SMS that arrives during a batch stays unread, is not deleted with the batch, and comes with the next one', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const gated = gatedPersist();
    const { commands } = await readyDriver(sim, gated.persist);
    const before = commands.length;
    const device = await startDevice(network, '+491706666666');

    gated.hold();
    await device.send(GATEWAY, bytes(40, 1));
    await expect.poll(() => gated.calls.length, { timeout: 10_000 }).toBe(1); // listed, persistence held
    await device.send(GATEWAY, bytes(40, 2));
    await expect.poll(() => sim.messages('ME').map((m) => m.stat), { timeout: 10_000 }).toEqual([1, 0]);
    const [, second] = sim.messages('ME');
    // Only the first persistence goes on; the second batch's is held, so the state after the first delete can be seen.
    gated.releaseOne();
    await expect.poll(() => gated.calls.length, { timeout: 10_000 }).toBe(2);
    expect(sim.messages('ME').map((m) => m.index)).toEqual([second?.index]); // the first deleted, the second kept
    gated.release();

    await expect.poll(async () => (await inbox().messages()).length, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => storedCount(sim), { timeout: 10_000 }).toBe(0);
    const after = commands.slice(before);
    // The second SMS's +CMTI came during the first batch: its list went out on the first delete's line.
    expect(after).toEqual(['AT+CMGL=0', expect.stringMatching(/^AT\+CMGD=\d+,1;\+CMGL=0$/), `AT+CMGD=${second?.index},1`]);
  });

  it('a modem without <delflag> (AT+CMGD=? offers none): one AT+CMGD=<i> per persisted SMS after one list', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { profile: { ...SIM_PROFILES.generic, deleteFlags: false } });
    const gated = gatedPersist();
    const { commands } = await readyDriver(sim, gated.persist);
    const before = commands.length;
    gated.hold();
    const device = await startDevice(network, '+491707777777');
    await device.send(GATEWAY, bytes(20, 1));
    await expect.poll(() => gated.calls.length, { timeout: 10_000 }).toBe(1);
    await Promise.all([2, 3, 4].map((i) => device.send(GATEWAY, bytes(20, i))));
    await expect.poll(() => sim.stats.smsReceived, { timeout: 10_000 }).toBe(4);
    gated.release();
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 10_000 }).toBe(4);
    await expect.poll(() => storedCount(sim), { timeout: 10_000 }).toBe(0);
    const after = commands.slice(before);
    expect(after.some((c) => /^AT\+CMGD=\d+,/.test(c))).toBe(false);
    expect(after.filter((c) => /^AT\+CMGD=\d+$/.test(c))).toHaveLength(4);
    expect(after.filter((c) => c.startsWith('AT+CMGL=')).length).toBeLessThanOrEqual(3);
    expect(gated.calls).toHaveLength(4);
  });

  it('a persistence that fails keeps its SMS on the modem; the next batch lists all (AT+CMGL=4) and deletes only what was persisted', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const box = inbox();
    let failNext = true;
    const persist: PersistReceived = async (pdu) => {
      if (failNext) {
        failNext = false;
        throw new Error('redis said no');
      }
      await box.accept(pdu);
    };
    const { driver, commands } = await readyDriver(sim, persist);
    const before = commands.length;
    const device = await startDevice(network, '+491708888888');
    await device.send(GATEWAY, bytes(25, 1));
    await expect.poll(() => failNext, { timeout: 10_000 }).toBe(false);
    await expect.poll(() => commands.slice(before).filter((c) => c.startsWith('AT+CMGL')).length, { timeout: 10_000 }).toBe(1);
    expect(sim.messages('ME').map((m) => m.stat)).toEqual([1]); // read, not persisted: kept
    await device.send(GATEWAY, bytes(25, 2)); // its +CMTI starts the next batch, which must list ALL
    await expect.poll(async () => (await box.messages()).length, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => storedCount(sim), { timeout: 10_000 }).toBe(0);
    expect(commands.slice(before).filter((c) => c.startsWith('AT+CMGL'))).toEqual(['AT+CMGL=0', 'AT+CMGL=4']);
    expect(driver.status.counters.received).toBe(2);
  });
});

describe('stored route read in batches, across a crash', () => {
  function startReceiver(link: string, beforePersistMs: number): { child: ChildProcessWithoutNullStreams; events: { event: string; via?: string; state?: string }[] } {
    const url = `redis://127.0.0.1:${(redis().options.port ?? 6379).toString()}`;
    // A sweep interval of a minute: only the start-up sweep can find messages a list marked read.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/receiver-process.ts', link, url, String(beforePersistMs), '0', '60000', 'stored-batch'], { stdio: 'pipe' });
    children.push(child);
    const events: { event: string; via?: string; state?: string }[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => events.push(JSON.parse(line) as { event: string }));
    return { child, events };
  }

  it('killed between AT+CMGL=0 and the persistence: the listed SMS are read on the modem, and the restart persists all once', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const first = startReceiver(sim.linkPath, 30_000); // lists, then "hangs" before persisting
    // After its start-up sweep, so the SMS below is read by a batch of its +CMTI (AT+CMGL=0).
    await expect.poll(() => first.events.some((e) => e.event === 'swept'), { timeout: 15_000 }).toBe(true);
    const device = await startDevice(network, '+491709990030');
    await device.send(GATEWAY, bytes(40, 1));
    await expect.poll(() => first.events.filter((e) => e.event === 'read').map((e) => e.via), { timeout: 15_000 }).toEqual(['cmti']);
    await Promise.all([2, 3].map((i) => device.send(GATEWAY, bytes(40, i))));
    await expect.poll(() => sim.stats.smsReceived, { timeout: 10_000 }).toBe(3);
    const exited = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await exited;
    expect(await inbox().messages()).toHaveLength(0);
    // The first was listed (now read), the two others arrived during that batch (unread).
    expect(sim.messages('ME').map((m) => m.stat).sort()).toEqual([0, 0, 1]);

    const second = startReceiver(sim.linkPath, 0);
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 15_000 }).toBe(3);
    await expect.poll(() => storedCount(sim), { timeout: 10_000 }).toBe(0);
    expect(second.events.filter((e) => e.event === 'read').map((e) => e.via)).toEqual(['sweep', 'sweep', 'sweep']);
    expect((await inbox().messages()).map((m) => m.message.dataHex).sort()).toEqual([1, 2, 3].map((i) => hex(bytes(40, i))).sort());
  }, 60_000);
});
