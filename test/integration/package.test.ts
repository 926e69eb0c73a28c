/**
 * The package as users get it: `npm pack` of this tree (the compiled dist/ that `npm test`
 * builds first; `--ignore-scripts` so packing does not rebuild), installed with `npm install
 * <tgz>` into an empty folder with production dependencies only, then run from there without
 * tsx or TypeScript. Needs the npm registry for package metadata only (`--prefer-offline`: the
 * tarballs come from npm's cache, filled by `npm install` here). Also `npm run check:pack`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, RUN_SAFETY_TIMEOUT_MS } from '../support/smsbridge-cli.ts';

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file args` in `cwd` to completion (killed only by the safety timeout). */
function run(file: string, args: readonly string[], cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd, encoding: 'utf8', timeout: RUN_SAFETY_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const killed = error !== null && error.killed === true;
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr: killed ? `${stderr}\n[killed after the safety timeout]` : stderr });
    });
  });
}

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('npm pack', () => {
  it('yields a package that installs without dev dependencies and runs the compiled smsbridge', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smsbridge-pack-'));
    temps.push(dir);
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    expect(packed.code, packed.stderr).toBe(0);
    const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    const paths = files.map((f) => f.path);
    expect(paths).toContain('dist/main.js');
    expect(paths).toContain('hardware/profiles/generic.yaml');
    expect(paths).toContain('README.md');
    expect(paths).toContain('dist/lwm2m/lua/patchRegistration-2.lua');
    expect(paths.filter((p) => p.startsWith('src/') || p.startsWith('test/') || p.startsWith('bench/'))).toEqual([]);

    const app = join(dir, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), '{"name":"pack-check","version":"1.0.0","private":true}\n');
    const installed = await run('npm', ['install', '--prefer-offline', '--omit=dev', '--no-audit', '--no-fund', join(dir, filename)], app);
    expect(installed.code, installed.stderr).toBe(0);
    expect(existsSync(join(app, 'node_modules', 'tsx')), 'no tsx').toBe(false);
    expect(existsSync(join(app, 'node_modules', 'typescript')), 'no typescript').toBe(false);

    const bin = join(app, 'node_modules', '.bin', 'smsbridge');
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await run(bin, ['--version'], app)).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    const decoded = await run(bin, ['pdu', 'decode', '07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37'], app);
    expect(decoded).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(decoded.stdout)).toMatchObject({ type: 'deliver', text: 'hellohello' });

    // run and config check load the configuration (TypeBox, yaml) and the shipped config files from the installed package.
    const shipped = join(app, 'node_modules', 'lwm2m-sms-bridge', 'config', 'example-lab.yaml');
    const checked = await run(bin, ['config', 'check', shipped], app);
    expect(checked.code, checked.stderr).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ ok: true, modems: [{ name: 'modem-1' }, { name: 'modem-2' }] });
    const missing = await run(bin, ['run', '--config', join(dir, 'missing.yaml')], app);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr.trim().split('\n').at(-1)!)).toMatchObject({ code: 'GW_ERR_CONFIG' });

    // The modem profiles are found from the installed dist/ (profile-loader's default folder).
    const script = "import('lwm2m-sms-bridge/dist/modem/profile-loader.js').then((m) => console.log(m.loadProfiles(m.defaultProfilesDir()).length))";
    const profiles = await run(process.execPath, ['-e', script], app);
    expect(profiles.code, profiles.stderr).toBe(0);
    expect(Number(profiles.stdout.trim())).toBeGreaterThanOrEqual(8);

    // The registration store's Lua scripts are found from the installed dist/ (read when the module loads).
    const store = await run(process.execPath, ['-e', "import('lwm2m-sms-bridge/dist/lwm2m/redis-registration-store.js').then((m) => console.log(typeof m.RedisRegistrationStore))"], app);
    expect(store, store.stderr).toMatchObject({ code: 0, stdout: 'function\n' });
  }, 4 * RUN_SAFETY_TIMEOUT_MS);
});
