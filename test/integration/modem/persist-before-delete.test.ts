/**
 * Persistence before deletion, proven with a real crash: the receiving gateway runs in its own
 * process and is killed (SIGKILL) between reading an SMS and persisting it, and between
 * persisting it and deleting it from the modem. After a restart the SMS is read again, and it
 * reaches the consumer (the inbox stream) exactly once. On the direct route (`+CMT` with
 * `AT+CSMS=1`) the same two crashes leave the SMS unacknowledged: the modem refuses it to the
 * network, which delivers it again.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { bytes, hex, inbox, redis, startDevice, startNetwork, startSimModem, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();
const GATEWAY = '+491700000001';
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Starts the receiver process; `events` fills with its JSON lines. */
function startReceiver(link: string, beforePersistMs: number, afterPersistMs: number): { child: ChildProcessWithoutNullStreams; events: { event: string }[] } {
  const url = `redis://127.0.0.1:${(redis().options.port ?? 6379).toString()}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/receiver-process.ts', link, url, String(beforePersistMs), String(afterPersistMs)], { stdio: 'pipe' });
  children.push(child);
  const events: { event: string }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => events.push(JSON.parse(line) as { event: string }));
  return { child, events };
}

async function killed(child: ChildProcessWithoutNullStreams): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('persist before delete, across a crash', () => {
  it('an SMS read but not persisted when the gateway dies is read again after restart, and reaches the consumer once', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const device = await startDevice(network, '491709990020');
    await device.send(GATEWAY, bytes(40, 1));
    await expect.poll(() => sim.status.used.ME + sim.status.used.SM, { timeout: 5000 }).toBe(1);

    const first = startReceiver(sim.linkPath, 30_000, 0); // reads, then "hangs" before persisting
    await expect.poll(() => first.events.some((e) => e.event === 'read'), { timeout: 15_000 }).toBe(true);
    await killed(first.child);
    expect(await inbox().messages()).toHaveLength(0);
    expect(sim.status.used.ME + sim.status.used.SM).toBe(1); // still on the modem

    const second = startReceiver(sim.linkPath, 0, 0);
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => sim.status.used.ME + sim.status.used.SM, { timeout: 5000 }).toBe(0);
    expect((await inbox().messages())[0]?.message.dataHex).toBe(hex(bytes(40, 1)));
    await killed(second.child);
  }, 60_000);

  it('an SMS persisted but not deleted when the gateway dies is read again after restart and de-duplicated', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    const device = await startDevice(network, '491709990021');
    await device.send(GATEWAY, bytes(40, 2));
    await expect.poll(() => sim.status.used.ME + sim.status.used.SM, { timeout: 5000 }).toBe(1);

    const first = startReceiver(sim.linkPath, 0, 30_000); // persists, then dies before deleting
    await expect.poll(() => first.events.some((e) => e.event === 'persisted'), { timeout: 15_000 }).toBe(true);
    await killed(first.child);
    expect(await inbox().messages()).toHaveLength(1);
    expect(sim.status.used.ME + sim.status.used.SM).toBe(1);

    const second = startReceiver(sim.linkPath, 0, 0);
    await expect.poll(() => second.events.filter((e) => e.event === 'persisted').map((e) => (e as { outcome?: string }).outcome), { timeout: 15_000 }).toEqual(['duplicate']);
    await expect.poll(() => sim.status.used.ME + sim.status.used.SM, { timeout: 5000 }).toBe(0);
    expect(await inbox().messages()).toHaveLength(1); // reached the consumer once
    await killed(second.child);
  }, 60_000);

  it('direct route: an SMS received (+CMT) but not persisted when the gateway dies is not acknowledged; the network delivers it again', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { cnmaTimeoutMs: 1000 });
    const first = startReceiver(sim.linkPath, 30_000, 0); // receives, then "hangs" before persisting
    await expect.poll(() => first.events.some((e) => e.event === 'state' && (e as { state?: string }).state === 'ready'), { timeout: 15_000 }).toBe(true);
    expect(sim.status.cnmi.mt).toBe(2);
    const device = await startDevice(network, '491709990022');
    await device.send(GATEWAY, bytes(40, 3));
    await expect.poll(() => first.events.some((e) => e.event === 'read'), { timeout: 15_000 }).toBe(true);
    await killed(first.child);
    await expect.poll(() => sim.stats.cnmaTimeouts, { timeout: 15_000 }).toBe(1); // refused to the network
    expect(await inbox().messages()).toHaveLength(0);

    const second = startReceiver(sim.linkPath, 0, 0);
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 15_000 }).toBe(1);
    expect((await inbox().messages())[0]?.message.dataHex).toBe(hex(bytes(40, 3)));
    await expect.poll(() => sim.stats.smsReceived, { timeout: 15_000 }).toBe(1);
    await killed(second.child);
  }, 60_000);

  it('direct route: an SMS persisted but not acknowledged when the gateway dies comes again and is de-duplicated', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { cnmaTimeoutMs: 1000 });
    const first = startReceiver(sim.linkPath, 0, 30_000); // persists, then dies before AT+CNMA
    await expect.poll(() => first.events.some((e) => e.event === 'state' && (e as { state?: string }).state === 'ready'), { timeout: 15_000 }).toBe(true);
    const device = await startDevice(network, '491709990023');
    await device.send(GATEWAY, bytes(40, 4));
    await expect.poll(() => first.events.some((e) => e.event === 'persisted'), { timeout: 15_000 }).toBe(true);
    await killed(first.child);
    await expect.poll(() => sim.stats.cnmaTimeouts, { timeout: 15_000 }).toBe(1);
    expect(await inbox().messages()).toHaveLength(1);

    const second = startReceiver(sim.linkPath, 0, 0);
    await expect.poll(() => second.events.filter((e) => e.event === 'persisted').map((e) => (e as { outcome?: string }).outcome), { timeout: 15_000 }).toEqual(['duplicate']);
    await expect.poll(() => sim.stats.smsReceived, { timeout: 15_000 }).toBe(1);
    expect(await inbox().messages()).toHaveLength(1); // reached the consumer once
    await killed(second.child);
  }, 60_000);
});
