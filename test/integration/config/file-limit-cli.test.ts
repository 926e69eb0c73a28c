/**
 * `smsbridge config check` and `smsbridge run` against the open-file limit, as the real
 * executable under `ulimit -n` (soft and hard, as the kernel would hold a service with too low a
 * LimitNOFILE): the check warns when `coreSockets.capacity` + 256 exceeds the hard limit, and
 * `run` refuses such a capacity with GW_ERR_RELAY_FILE_LIMIT before it waits for Redis (the
 * Redis URL names a port nobody listens on, so a run that got that far would wait forever: the
 * test stops it at its "connecting to redis" line).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../../support/smsbridge-cli.ts';

const TIMEOUT_MS = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'smsbridge-file-limit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A valid file whose node must hold `capacity` devices; Redis on port 1, where nothing listens. */
function configFile(name: string, capacity: number): string {
  const file = join(dir, name);
  writeFileSync(file, [
    'redis: {url: "redis://127.0.0.1:1"}',
    'core: {host: 127.0.0.1}',
    'udpListen: {host: 127.0.0.1, port: 0}',
    `coreSockets: {bindHost: 127.0.0.1, firstPort: 24000, lastPort: 25999, capacity: ${capacity}}`,
    'modems:',
    '  - {name: m1, path: /dev/null-modem-of-file-limit-test}',
    '',
  ].join('\n'));
  return file;
}

interface LimitedRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the process got as far as waiting for Redis (and was stopped there). */
  readonly waitedForRedis: boolean;
}

/** Runs `smsbridge …args` under `ulimit -n files`; ends at its exit, or stops it once it logs that it connects to Redis. */
function smsbridgeUnderLimit(files: number, ...args: string[]): Promise<LimitedRun> {
  const child = spawn('sh', ['-c', 'ulimit -n "$0" && exec "$@"', String(files), process.execPath, BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let waitedForRedis = false;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout += `${line}\n`;
    if (!waitedForRedis && line.includes('connecting to redis')) {
      waitedForRedis = true;
      child.kill('SIGKILL');
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, waitedForRedis }));
  });
}

/** The one JSON object of `text` (one line). */
function oneJson(text: string): Record<string, unknown> {
  const lines = text.split('\n').filter((line) => line !== '');
  expect(lines, text).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

describe('config check: the open-file limit', () => {
  it('warns (exit 0, ok) when coreSockets.capacity + 256 exceeds the hard limit of the process, naming both figures', async () => {
    const run = await smsbridgeUnderLimit(400, 'config', 'check', configFile('tight.yaml', 1000));
    expect(run.code, run.stderr).toBe(0);
    const summary = oneJson(run.stdout);
    expect(summary).toMatchObject({ ok: true, openFiles: { soft: 400, hard: 400, neededForCapacity: 1256 } });
    const warnings = summary['warnings'] as { code: string; key: string; message: string }[];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'GW_ERR_RELAY_FILE_LIMIT', key: 'coreSockets.capacity' });
    expect(warnings[0]!.message).toMatch(/^coreSockets\.capacity 1000 needs 1256 open files, but the hard limit is 400: raise LimitNOFILE to at least 1256 /);
    expect(run.stderr).toMatch(/^warning: coreSockets\.capacity: coreSockets\.capacity 1000 needs 1256 open files/);
  }, TIMEOUT_MS);

  it('says nothing when the limit holds the capacity', async () => {
    const run = await smsbridgeUnderLimit(4096, 'config', 'check', configFile('roomy.yaml', 1000));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(oneJson(run.stdout)).toMatchObject({ ok: true, openFiles: { hard: 4096, neededForCapacity: 1256 }, warnings: [] });
  }, TIMEOUT_MS);
});

describe('run: the open-file limit', () => {
  it('refuses a capacity the hard limit cannot hold with GW_ERR_RELAY_FILE_LIMIT before it waits for Redis', async () => {
    const run = await smsbridgeUnderLimit(400, 'run', '--config', configFile('tight-run.yaml', 1000));
    expect(run.waitedForRedis, run.stdout).toBe(false);
    expect(run.code).toBe(1);
    expect(oneJson(run.stderr)).toMatchObject({ code: 'GW_ERR_RELAY_FILE_LIMIT', capacity: 1000, neededFiles: 1256, hard: 400 });
  }, TIMEOUT_MS);

  it('goes on to Redis when the limit holds the capacity', async () => {
    const run = await smsbridgeUnderLimit(4096, 'run', '--config', configFile('roomy-run.yaml', 1000));
    expect(run.waitedForRedis, `${run.stdout}\n${run.stderr}`).toBe(true);
  }, TIMEOUT_MS);
});
