/**
 * A private Redis dies with the process that started it, however that process ends: kill -9 of
 * the demo or of a test process must leave no redis-server and no temporary folder behind.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eventually, exitOf, OutputLines, pathExists, processAlive } from '../support/process-checks.ts';
import { redisCommand } from '../support/private-redis.ts';
import { ROOT } from '../support/smsbridge-cli.ts';

describe('a private Redis whose parent is killed', () => {
  it('is gone, with its folder, after SIGKILL of the process that started it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/processes/private-redis-holder.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = exitOf(child);
    const output = new OutputLines(child.stdout);
    const info = JSON.parse((await output.waitFor(/^\{.*\}$/))[0]) as { pid: number; port: number; dir: string };
    expect(await redisCommand(info.port, 'PING')).toBe('+PONG');
    expect(processAlive(info.pid)).toBe(true);
    expect(await pathExists(info.dir)).toBe(true);

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    await eventually(`redis-server ${info.pid} has exited`, () => !processAlive(info.pid));
    await eventually(`${info.dir} is removed`, async () => !(await pathExists(info.dir)));
    await expect(redisCommand(info.port, 'PING')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, 60_000);
});
