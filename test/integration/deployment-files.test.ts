/**
 * The files a sysadmin installs: the systemd unit (parsed, and checked by `systemd-analyze
 * verify` where systemd is installed), the udev rules, and the README's install guide that
 * names them. The project's docs stand alone: no link leaves the repository for `../shared`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/smsbridge-cli.ts';

const run = promisify(execFile);
const UNIT_PATH = join(ROOT, 'hardware/systemd/lwm2m-sms-bridge.service');

/** A unit file as section → key → values (a key may repeat); comments and blank lines dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === null || eq < 1) throw new Error(`not a unit file line: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

/** True when `name` is on the PATH. */
function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, name)));
}

describe('the smsbridge executable (what `smsbridge run` and the systemd unit start)', () => {
  it('starts node with a young generation of 2 × 16 MB semi-spaces (bench/device-scale: RSS per device), through its own first line', async () => {
    const first = (await readFile(join(ROOT, 'src/main.ts'), 'utf8')).split('\n', 1)[0]!;
    expect(first).toMatch(/^#!\/usr\/bin\/env -S node .*--min-semi-space-size=16/);
    const dir = await mkdtemp(join(tmpdir(), 'smsbridge-shebang-'));
    try {
      // The same first line on a script that prints its young generation, run as an executable
      // (the kernel reads the line, env -S splits it), with node found on PATH as for smsbridge.
      const script = join(dir, 'young.js');
      await writeFile(script, `${first}\nconst v8 = require('node:v8');\nprocess.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size));\n`);
      await chmod(script, 0o755);
      const pathWithNode = `${join(process.execPath, '..')}:${process.env.PATH ?? ''}`;
      const { stdout } = await run(script, [], { env: { ...process.env, PATH: pathWithNode } });
      expect(Number(stdout)).toBeGreaterThanOrEqual(16 * 1024 * 1024); // one semi-space; node starts at 1 MB without the flag
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hardware/systemd/lwm2m-sms-bridge.service', () => {
  it('runs `smsbridge run` as its own user in dialout, stops by SIGTERM within 15 s, and is hardened', async () => {
    const unit = parseUnit(await readFile(UNIT_PATH, 'utf8'));
    const service = unit.get('Service')!;
    const one = (key: string): string | undefined => service.get(key)?.at(-1);
    expect(one('User')).toBe('smsbridge');
    expect(one('SupplementaryGroups')).toBe('dialout');
    expect(one('ExecStart')).toBe('/usr/bin/smsbridge run --config /etc/lwm2m-sms-bridge/config.yaml');
    expect(one('EnvironmentFile')).toBe('-/etc/lwm2m-sms-bridge/env');
    expect(one('Restart')).toBe('on-failure');
    expect(one('KillSignal')).toBe('SIGTERM');
    // The gateway's own stop bound is 10 s: systemd must wait longer before SIGKILL.
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThan(10);
    expect(Number(one('LimitNOFILE'))).toBeGreaterThanOrEqual(4096);
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('DevicePolicy')).toBe('closed');
    expect(service.get('DeviceAllow')).toEqual(expect.arrayContaining(['char-ttyUSB rw', 'char-ttyACM rw']));
    // These would break the gateway: hidden serial ports, and V8's JIT.
    expect(one('PrivateDevices')).not.toBe('yes');
    expect(one('MemoryDenyWriteExecute')).not.toBe('yes');
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it.skipIf(!hasCommand('systemd-analyze'))('passes systemd-analyze verify (ExecStart pointed at an existing program)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smsbridge-unit-'));
    try {
      // verify insists that ExecStart's program exists; on a build machine smsbridge is not installed.
      const text = (await readFile(UNIT_PATH, 'utf8')).replace(/^ExecStart=\/usr\/bin\/smsbridge /m, `ExecStart=${process.execPath} `);
      const copy = join(dir, 'lwm2m-sms-bridge.service');
      await writeFile(copy, text);
      const result = await run('systemd-analyze', ['verify', copy]).then(
        ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
      );
      expect(result).toEqual({ code: 0, output: '' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hardware/udev/99-lwm2m-sms-bridge.rules', () => {
  it('keeps ModemManager off the modems and their ports, gives the ports to dialout and stable names', async () => {
    const rules = await readFile(join(ROOT, 'hardware/udev/99-lwm2m-sms-bridge.rules'), 'utf8');
    const active = rules.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
    expect(active.filter((line) => line.includes('ENV{ID_MM_DEVICE_IGNORE}="1"')).length).toBeGreaterThanOrEqual(2);
    expect(active.some((line) => line.includes('SUBSYSTEM=="usb"') && line.includes('ENV{ID_MM_DEVICE_IGNORE}="1"'))).toBe(true);
    expect(active).toContain('GROUP="dialout", MODE="0660"');
    expect(active.some((line) => line.includes('SYMLINK+="lwm2m-modem-'))).toBe(true);
  });
});

describe('the README install guide and the docs', () => {
  it('has a "Run it on gateway hardware" section that installs the unit and rules shipped here', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Run it on gateway hardware');
    expect(start).toBeGreaterThanOrEqual(0);
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1) >>> 0);
    for (const needed of [
      'hardware/systemd/lwm2m-sms-bridge.service', 'hardware/udev/99-lwm2m-sms-bridge.rules', 'config/example-production.yaml',
      '/etc/lwm2m-sms-bridge/config.yaml', '/etc/lwm2m-sms-bridge/env', 'smsbridge config check', 'systemctl enable --now lwm2m-sms-bridge',
      'journalctl -u lwm2m-sms-bridge', 'useradd', 'SIGUSR2',
    ]) expect(section, needed).toContain(needed);
  });

  it('stand alone: README.md and docs/*.md never point into ../shared', async () => {
    const files = ['README.md', ...(await readdir(join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(join(ROOT, file), 'utf8');
      text.split('\n').forEach((line, i) => {
        if (/\.\.\/shared\b|\/work\/shared/.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});

describe('the set-up check of the demo and the tests (.ci/ensure-system-packages)', () => {
  /** Runs the check with a PATH that holds only `programs` (links to the real ones). */
  async function checkWith(programs: readonly string[], purpose: readonly string[]): Promise<{ code: number; stderr: string }> {
    const bin = await mkdtemp(join(tmpdir(), 'smsbridge-path-'));
    try {
      for (const program of programs) {
        const real = (await run('bash', ['-c', `command -v ${program}`])).stdout.trim();
        await writeFile(join(bin, program), `#!/bin/sh\nexec ${real} "$@"\n`);
        await chmod(join(bin, program), 0o755);
      }
      const result = await run('/bin/bash', [join(ROOT, '.ci/ensure-system-packages'), ...purpose], { env: { PATH: bin } }).then(
        ({ stderr }) => ({ code: 0, stderr }),
        (error: { code?: number; stderr?: string }) => ({ code: error.code ?? -1, stderr: error.stderr ?? '' }),
      );
      return result;
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  }

  it('asks the demo only for what it runs (redis-server, socat), not for gammu or chromium', async () => {
    expect(await checkWith(['redis-server', 'socat'], ['demo'])).toEqual({ code: 0, stderr: '' });
    const withoutSocat = await checkWith(['redis-server'], ['demo']);
    expect(withoutSocat.code).toBe(1);
    expect(withoutSocat.stderr).toContain('missing programs: socat.');
  });

  it('refuses an unknown purpose', async () => {
    expect(await checkWith([], ['nonsense'])).toMatchObject({ code: 2 });
  });
});
