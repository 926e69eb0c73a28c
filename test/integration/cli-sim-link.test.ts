/**
 * `smsbridge sim modem --link <path>` as real processes: a second modem on the path of a running
 * one is refused (GW_ERR_SIM_LINK_IN_USE) and the first keeps its pty; a lock and a link left by
 * a crashed run (SIGKILL) are taken over.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { lstat, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, smsbridge } from './../support/smsbridge-cli.ts';

const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'smsbridge-link-'));
  dirs.push(dir);
  return dir;
}

/** Starts `sim modem` on `link` and resolves with the process once its ready line is out. */
async function startModem(link: string): Promise<{ child: ChildProcessWithoutNullStreams; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'sim', 'modem', '--msisdn', '+491700000009', '--link', link], { cwd: ROOT, stdio: 'pipe' });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const ready = await new Promise<string | null>((resolve) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', () => resolve(null));
  });
  if (ready === null) throw new Error(`sim modem ended before it was ready: ${stderr}`);
  expect(JSON.parse(ready)).toMatchObject({ modem: link });
  return { child, exited };
}

describe('smsbridge sim modem --link ownership', () => {
  it('refuses the link of a running simulated modem, which keeps its pty', async () => {
    const link = join(await tempDir(), 'ttySIM0');
    const first = await startModem(link);
    const pty = await realpath(link);

    const second = await smsbridge('sim', 'modem', '--msisdn', '+491700000010', '--link', link);
    expect(second.code).toBe(1);
    const error = JSON.parse(second.stderr.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
    expect(error).toMatchObject({ code: 'GW_ERR_SIM_LINK_IN_USE' });
    expect(String(error.message)).toContain('--link');
    expect(String(error.message)).toContain(String(first.child.pid));

    expect(await realpath(link)).toBe(pty); // still the first modem's pty
    expect((await readFile(`${link}.lock`, 'utf8')).trim()).toBe(String(first.child.pid));
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(await lstat(link).catch(() => null)).toBeNull();
    expect(await lstat(`${link}.lock`).catch(() => null)).toBeNull();
  }, 60_000);

  it('takes over the lock and link of a crashed run', async () => {
    const link = join(await tempDir(), 'ttySIM1');
    const crashed = await startModem(link);
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    expect(await lstat(`${link}.lock`).catch(() => null)).not.toBeNull(); // left behind

    const next = await startModem(link);
    expect((await readFile(`${link}.lock`, 'utf8')).trim()).toBe(String(next.child.pid));
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  }, 60_000);
});
