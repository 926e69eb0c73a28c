/**
 * The README's first command: `smsbridge demo` runs the whole lab and ends with a summary, after
 * its `--duration` or on Ctrl-C / SIGTERM, and leaves nothing behind (no redis-server, no
 * temporary folder) even when killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, exitOf, OutputLines, pathExists, processAlive } from '../../support/process-checks.ts';
import { BIN, ROOT } from '../../support/smsbridge-cli.ts';

interface Counted { sent: number; answered: number; failed: number; pending: number; failureReasons: Record<string, number> }
interface Summary {
  endedBy: string; devices: number; devicesRegistered: number; registrations: number;
  reads: Counted; triggers: Counted;
  sms: { sentByGateway: number; receivedByGateway: number };
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
});

/** Starts the demo in a process group of its own, as a shell starts a foreground job. */
function startDemo(...args: string[]) {
  const child = spawn(process.execPath, [BIN, 'demo', '--read-interval-ms', '1000', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  return { child, exited: exitOf(child), stdout: new OutputLines(child.stdout), stderr: new OutputLines(child.stderr) };
}

/** The `running:` line names the private Redis's pid and folder and the modem links' folder. */
async function leftovers(stderr: OutputLines): Promise<{ redisPid: number; dirs: string[] }> {
  const [, pid, redisDir, labDir] = await stderr.waitFor(/^running: private Redis pid (\d+) on port \d+ in (\S+), modem links in (\S+)$/);
  return { redisPid: Number(pid), dirs: [redisDir!, labDir!] };
}

async function expectNothingLeft(left: { redisPid: number; dirs: string[] }): Promise<void> {
  await eventually(`redis-server ${left.redisPid} has exited`, () => !processAlive(left.redisPid));
  for (const dir of left.dirs) await eventually(`${dir} is removed`, async () => !(await pathExists(dir)));
}

function summaryOf(stdout: string): Summary {
  return (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { summary: Summary }).summary;
}

function expectConsistent(counted: Counted): void {
  expect(counted.answered + counted.failed + counted.pending).toBe(counted.sent);
  expect(Object.values(counted.failureReasons).reduce((a, b) => a + b, 0)).toBe(counted.failed);
}

/** The summary's text says what its JSON says (a request pending at the end is not reported failed in one and pending in the other). */
function expectTextAgrees(stdout: string, what: string, counted: Counted): void {
  const line = stdout.split('\n').find((l) => l.startsWith(`  ${what}: `)) ?? '';
  expect(line).toContain(`${counted.answered} of ${counted.sent} answered`);
  expect(line.includes(' failed (')).toBe(counted.failed > 0);
  expect(line.includes(' still waiting')).toBe(counted.pending > 0);
}

describe('smsbridge demo', () => {
  it('runs the gateway with simulated modems and devices and prints a summary whose numbers agree', async () => {
    const { exited, stdout, stderr } = startDemo('--duration', '12');
    const left = await leftovers(stderr);
    expect(await exited).toBe(0);
    expect(stdout.text).toContain('summary after');
    const summary = summaryOf(stdout.text);
    expect(summary.endedBy).toBe('duration');
    expect(summary.registrations).toBeGreaterThanOrEqual(4);
    expect(summary.reads.answered).toBeGreaterThan(0);
    expectConsistent(summary.reads);
    expectConsistent(summary.triggers);
    expectTextAgrees(stdout.text, 'reads of /3/0', summary.reads);
    expectTextAgrees(stdout.text, 'triggers of /1/0/8', summary.triggers);
    expect(summary.sms.sentByGateway).toBeGreaterThan(0);
    expect(summary.sms.receivedByGateway).toBeGreaterThan(0);
    // Not a terminal: plain time-stamped lines, no cursor movement.
    expect(stdout.text).not.toContain('\x1b[');
    expect(stdout.text).toMatch(/^\d\d:\d\d:\d\d modem-1 ready, modem-2 ready; \d devices registered/m);
    await expectNothingLeft(left);
  }, 90_000);

  it('ends with its summary and exit 0 on Ctrl-C (SIGINT to its whole process group), leaving nothing behind', async () => {
    const { child, exited, stdout, stderr } = startDemo('--duration', '600');
    const left = await leftovers(stderr);
    await stdout.waitFor(/4 devices registered; reads [1-9]/);
    process.kill(-child.pid!, 'SIGINT'); // what a terminal does on Ctrl-C
    expect(await exited).toBe(0);
    const summary = summaryOf(stdout.text);
    expect(summary.endedBy).toBe('SIGINT');
    expect(summary.devicesRegistered).toBe(4);
    expect(stdout.text).toMatch(/reads of \/3\/0: \d+ of \d+ answered/);
    expectTextAgrees(stdout.text, 'reads of /3/0', summary.reads);
    expectTextAgrees(stdout.text, 'triggers of /1/0/8', summary.triggers);
    expect(stderr.text).not.toMatch(/ECONNREFUSED|Unhandled error event/);
    await expectNothingLeft(left);
  }, 90_000);

  it('ends with its summary on SIGTERM during --duration', async () => {
    const { child, exited, stdout, stderr } = startDemo('--duration', '600');
    const left = await leftovers(stderr);
    child.kill('SIGTERM');
    const code = await exited;
    expect(code, stderr.text).toBe(0);
    expect(summaryOf(stdout.text).endedBy).toBe('SIGTERM');
    await expectNothingLeft(left);
  }, 90_000);

  it('leaves no redis-server and no temporary folder when killed with SIGKILL', async () => {
    const { child, exited, stderr } = startDemo('--duration', '600');
    const left = await leftovers(stderr);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    await expectNothingLeft(left);
  }, 90_000);

  it('ends on SIGTERM even while the lab cannot start (a Redis that never answers)', async () => {
    const { child, exited, stderr } = startDemo('--redis', 'redis://127.0.0.1:1', '--duration', '600');
    await stderr.waitFor(/^starting: /);
    child.kill('SIGTERM');
    expect(await exited).toBe(0); // the start-up waiting for Redis is aborted: a clean stop
    expect(stderr.text).toContain('received SIGTERM: stopping');
    expect(stderr.text).toContain('stopped while starting');
  }, 90_000);
});
