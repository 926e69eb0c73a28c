/**
 * A benchmark's command line, as a developer types it: an unknown scenario is one JSON line
 * on stderr (GW_ERR_USAGE) and exit 1, without a stack trace; `--` anywhere (npm's way of passing
 * arguments on) is skipped. Real `tsx` processes; nothing is benchmarked.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs `bench/reliability.ts` with `args` under tsx; resolves with its exit code and output. */
function reliability(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/reliability.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('bench:reliability command line', () => {
  it('names an unknown scenario as one JSON line, GW_ERR_USAGE, exit 1, no stack trace', async () => {
    const run = await reliability('nosuch', '--quick');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(run.stderr)).toEqual({ code: 'GW_ERR_USAGE', message: 'unknown scenario nosuch; known: crash, modem-loss, redis-restart, core-down' });
  });

  it('skips `--` before --quick (npm run bench:reliability -- crash -- --quick): only the real unknown name is refused', async () => {
    const run = await reliability('nosuch', '--', '--quick');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stderr)).toMatchObject({ code: 'GW_ERR_USAGE', message: expect.stringMatching(/^unknown scenario nosuch;/) });
  });

  it('refuses an unknown option the same way', async () => {
    const run = await reliability('--fast');
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(run.stderr)).toMatchObject({ code: 'GW_ERR_USAGE', message: expect.stringContaining("'--fast'") });
  });
});
