/**
 * `smsbridge demo --redis <unreachable>` as a real process: it says once a retry that Redis is
 * unreachable (no flood of ioredis errors, no silent hang) and Ctrl-C ends the start-up cleanly.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freeTcpPort } from '../../support/private-redis.ts';
import { BIN, ROOT } from '../../support/smsbridge-cli.ts';

describe('smsbridge demo with Redis unreachable', () => {
  it('logs one line a retry and exits 0 on SIGINT, saying it stopped while starting', async () => {
    const port = await freeTcpPort(); // nothing listens there
    const child = spawn(process.execPath, [BIN, 'demo', '--redis', `redis://:hidden-pw@127.0.0.1:${port}`], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    await expect.poll(() => stderr.split('\n').filter((line) => line.includes('redis unreachable')).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    child.kill('SIGINT');
    expect(await exited).toBe(0); // asked to stop, and stopped: not a failure
    const retries = stderr.split('\n').filter((line) => line.includes('redis unreachable')).map((line) => JSON.parse(line) as { attempt: number; level: string });
    expect(retries.slice(0, 2).map((r) => [r.level, r.attempt])).toEqual([['warn', 1], ['warn', 2]]);
    expect(stderr).toContain('stopped while starting');
    expect(stderr).not.toContain('Unhandled error event');
    expect(stderr).not.toContain('hidden-pw');
  }, 60_000);
});
