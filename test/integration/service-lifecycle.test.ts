/**
 * A gateway process under ServiceLifecycle, signalled as systemd (SIGTERM) or a terminal
 * (SIGINT) would: a clean exit 0 after a stop, exit 1 when the stop outlives its bound, and an
 * immediate exit on a second signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { exitOf, OutputLines } from '../support/process-checks.ts';
import { redisCommand } from '../support/private-redis.ts';
import { ROOT } from '../support/smsbridge-cli.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function startGateway(mode: 'clean' | 'hang', stopTimeoutMs: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/processes/lifecycle-gateway.ts', mode, String(stopTimeoutMs)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const exited = exitOf(child);
  const stdout = new OutputLines(child.stdout);
  const stderr = new OutputLines(child.stderr);
  const ready = JSON.parse((await stdout.waitFor(/^\{"ready".*\}$/))[0]) as { redisUrl: string; state: string };
  expect(ready.state).toBe('ready');
  return { child, exited, stderr, redisPort: Number(new URL(ready.redisUrl).port) };
}

describe('ServiceLifecycle in a real process', () => {
  it('SIGTERM stops the gateway and exits 0; its private Redis is gone', async () => {
    const { child, exited, stderr, redisPort } = await startGateway('clean', 10_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr.text).toContain('received SIGTERM: stopping');
    expect(stderr.text).toContain('lab stopped');
    await expect(redisCommand(redisPort, 'PING')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, 90_000);

  it('SIGINT does the same', async () => {
    const { child, exited, stderr } = await startGateway('clean', 10_000);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr.text).toContain('received SIGINT: stopping');
  }, 90_000);

  it('a stop that outlives its bound exits 1 with a log line', async () => {
    const { child, exited, stderr } = await startGateway('hang', 1500);
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
    expect(stderr.text).toContain('stop did not finish within 1500 ms: exiting with 1');
  }, 90_000);

  it('a second signal while stopping exits at once with 128 + its number', async () => {
    const { child, exited, stderr } = await startGateway('hang', 600_000);
    child.kill('SIGTERM');
    await stderr.waitFor(/lab stopped/);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr.text).toContain('received SIGINT while stopping: exiting at once with 130');
  }, 90_000);
});
