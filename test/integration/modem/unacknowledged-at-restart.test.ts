/**
 * A gateway killed (SIGKILL) after a `+CMT` and before its `AT+CNMA` leaves the modem waiting for
 * that acknowledgement (TS 27.005 §3.4.4: one routed message at a time). The restarted gateway
 * must not wait for the modem's acknowledgement timeout: when that fires the ME refuses the SMS
 * and turns routing off (`<mt>`=0), after the new gateway set `AT+CNMI`, so every later SMS went
 * to storage without an indication and waited for the next periodic sweep (60 s by default).
 * Found by the crash scenario of `npm run bench:reliability`. The restarted session now refuses
 * whatever waits (`AT+CNMA=2`: the network delivers it again; the inbox de-duplicates).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../support/process-checks.ts';
import { bytes, hex, inbox, redis, startDevice, startNetwork, startSimModem, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();
const GATEWAY = '+491700000001';
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** The receiver of persist-before-delete.test.ts, with a periodic sweep far beyond this test (only +CMT can deliver in time). */
function startReceiver(link: string, beforePersistMs: number): { child: ChildProcessWithoutNullStreams; events: { event: string; state?: string }[] } {
  const url = `redis://127.0.0.1:${(redis().options.port ?? 6379).toString()}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/receiver-process.ts', link, url, String(beforePersistMs), '0', '600000'], { stdio: 'pipe' });
  children.push(child);
  const events: { event: string; state?: string }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => events.push(JSON.parse(line) as { event: string }));
  return { child, events };
}

describe('a +CMT left unacknowledged by a killed gateway', () => {
  it('is refused by the restarted gateway at once: routing stays on, the SMS comes again, and later SMS arrive by +CMT', async () => {
    const network = await startNetwork();
    // The modem would wait a minute for the dead gateway's AT+CNMA: far longer than this test waits for anything.
    const sim = await startSimModem(network, { cnmaTimeoutMs: 600_000 });
    const first = startReceiver(sim.linkPath, 600_000); // receives, then "hangs" before persisting
    await eventually('the first gateway is ready', () => first.events.some((e) => e.event === 'state' && e.state === 'ready'));
    const device = await startDevice(network, '491709990031');
    await device.send(GATEWAY, bytes(40, 5));
    await eventually('the first gateway read the SMS', () => first.events.some((e) => e.event === 'read'));
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;

    const second = startReceiver(sim.linkPath, 0);
    await eventually('the second gateway is ready', () => second.events.some((e) => e.event === 'state' && e.state === 'ready'));
    await device.send(GATEWAY, bytes(40, 6));
    await eventually('both SMS are in the inbox', async () => (await inbox().messages()).length === 2);
    expect((await inbox().messages()).map((m) => m.message.dataHex).sort()).toEqual([hex(bytes(40, 5)), hex(bytes(40, 6))].sort());
    // Routing stayed on: no acknowledgement timeout, so the ME never set <mt>=0. The refused SMS
    // comes again at once and the next one right after it: back to back, so the adaptive route
    // may have switched to the stored route (<mt>=1, receive-route-states.ts) by itself.
    expect(sim.stats.cnmaTimeouts).toBe(0);
    expect([1, 2]).toContain(sim.status.cnmi.mt);
  }, 120_000);
});
