/**
 * The AT trace switch of the composition root: SIGUSR2 to a running `smsbridge demo` process
 * turns the AT trace of its modems on: AT lines appear on stderr, though the demo logs at warn.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../../support/smsbridge-cli.ts';

describe('smsbridge demo: SIGUSR2', () => {
  it('switches the AT trace on at run time', async () => {
    const child = spawn(process.execPath, [BIN, 'demo', '--read-interval-ms', '500'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    await expect.poll(() => stderr.includes('running: '), { timeout: 40_000 }).toBe(true); // the lab is up
    expect(stderr).not.toContain('"at":"tx"');
    child.kill('SIGUSR2');
    await expect.poll(() => stderr.split('\n').some((line) => line.includes('"at":"tx"') && line.includes('"modem":"modem-')), { timeout: 40_000 }).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 90_000);
});
