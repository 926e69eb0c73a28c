/**
 * The command line itself, through the real executable (the compiled `bin`, one process per run):
 * `--version`, `--help`, usage errors as one JSON object on stderr, bad option values as
 * GW_ERR_CONFIG naming the option for every command (issue 9), and what `pdu` loads.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, RUN_SAFETY_TIMEOUT_MS, smsbridge, type Run } from '../support/smsbridge-cli.ts';

/** A generous safety net for a test that runs a few processes (never a speed check). */
const TIMEOUT = RUN_SAFETY_TIMEOUT_MS + 30_000;

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Exit 1, nothing on stdout, exactly one JSON object on stderr: returned. */
function oneJsonError(run: Run, what: string): Record<string, unknown> {
  expect({ code: run.code, stdout: run.stdout }, what).toEqual({ code: 1, stdout: '' });
  const lines = run.stderr.split('\n').filter((line) => line.length > 0);
  expect(lines, `${what}: stderr ${JSON.stringify(run.stderr)}`).toHaveLength(1);
  const value: unknown = JSON.parse(lines[0] ?? '');
  expect(typeof value === 'object' && value !== null && !Array.isArray(value), what).toBe(true);
  const error = value as Record<string, unknown>;
  expect(typeof error['message'], what).toBe('string');
  return error;
}

describe.concurrent('smsbridge --version and --help', () => {
  it('prints the version of package.json and help as text on stdout, exit 0', async ({ expect }) => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const [version, short, help, pduHelp] = await Promise.all([
      smsbridge('--version'), smsbridge('-V'), smsbridge('--help'), smsbridge('pdu', 'decode', '--help'),
    ]);
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    expect(short).toEqual(version);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: smsbridge /);
    for (const command of ['pdu', 'at', 'sim', 'core', 'demo']) expect(help.stdout).toContain(command);
    expect(pduHelp).toMatchObject({ code: 0, stderr: '' });
    expect(pduHelp.stdout).toContain('standard input');
  }, TIMEOUT);
});

describe.concurrent('usage errors', () => {
  it('come out as one JSON object GW_ERR_USAGE on stderr, exit 1', async ({ expect }) => {
    const cases: { what: string; args: string[]; message: RegExp; usage: string }[] = [
      { what: 'unknown option', args: ['pdu', 'decode', '--bogus', '00'], message: /unknown option '--bogus'/, usage: 'smsbridge pdu decode' },
      { what: 'unknown command', args: ['pdu', 'decod', '00'], message: /unknown command 'decod'/, usage: 'smsbridge pdu' },
      { what: 'unknown top-level command', args: ['frobnicate'], message: /unknown command 'frobnicate'/, usage: 'smsbridge' },
      { what: 'missing argument', args: ['pdu', 'decode'], message: /missing required argument 'hex'/, usage: 'smsbridge pdu decode' },
      { what: 'missing required option', args: ['pdu', 'encode', '--text', 'hi'], message: /--to/, usage: 'smsbridge pdu encode' },
      { what: 'mistyped required option', args: ['run', '--conifg', 'x.yaml'], message: /^unknown option '--conifg'$/, usage: 'smsbridge run' },
      { what: 'unknown option beside a missing required one', args: ['send', '--bogus=1', '--text', 'hi'], message: /^unknown option '--bogus'$/, usage: 'smsbridge send' },
      { what: 'option without its value', args: ['core', '--listen'], message: /--listen/, usage: 'smsbridge core' },
      { what: 'excess argument', args: ['pdu', 'decode', '00', '11'], message: /too many arguments/, usage: 'smsbridge pdu decode' },
      { what: 'no command', args: [], message: /a command is required: run, config, status, modems, devices, queues, send, pdu, at, sim, core, demo, wakeup/, usage: 'smsbridge' },
      { what: 'no sim command', args: ['sim'], message: /a command is required: network, modem, device/, usage: 'smsbridge sim' },
      { what: 'help for an unknown command', args: ['help', 'nope'], message: /unknown command 'nope'/, usage: 'smsbridge' },
    ];
    const runs = await Promise.all(cases.map((c) => smsbridge(...c.args)));
    cases.forEach((c, i) => {
      const error = oneJsonError(runs[i]!, c.what);
      expect(error['code'], c.what).toBe('GW_ERR_USAGE');
      expect(error['message'], c.what).toMatch(c.message);
      expect(String(error['usage']).startsWith(`${c.usage} `), `${c.what}: usage ${String(error['usage'])}`).toBe(true);
      expect(error['help'], c.what).toBe(`${c.usage} --help`);
    });
  }, TIMEOUT);
});

describe.concurrent('bad option values are GW_ERR_CONFIG naming the option (issue 9)', () => {
  it('at --baud abc is a configuration error, not GW_ERR_MODEM_OPEN', async ({ expect }) => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-options-'));
    temps.push(dir);
    const device = join(dir, 'ttyNONE');
    const cases: [string[], string][] = [
      [['at', '--baud', 'abc', device, 'AT'], '--baud'],
      [['at', '--baud', '-9600', device, 'AT'], '--baud'],
      [['at', '--baud', '12345', device, 'AT'], '--baud'],
      [['at', '--timeout-ms', 'soon', device, 'AT'], '--timeout-ms'],
      [['at', '--timeout-ms', '0', device, 'AT'], '--timeout-ms'],
      [['at', 'tcp://999.1.1.1:2000', 'AT'], '<device>'],
    ];
    const runs = await Promise.all(cases.map(([args]) => smsbridge(...args)));
    cases.forEach(([args, option], i) => {
      const error = oneJsonError(runs[i]!, args.join(' '));
      expect(error, args.join(' ')).toMatchObject({ code: 'GW_ERR_CONFIG', option });
      expect(String(error['message']).startsWith(`${option}:`), args.join(' ')).toBe(true);
    });
  }, TIMEOUT);

  it('wakeup --config with --timeout-sec 0, abc or 3601 is a configuration error, named before the file is read', async ({ expect }) => {
    const missing = join(tmpdir(), 'cli-options-no-such-config.yaml');
    const runs = await Promise.all(['0', 'abc', '3601'].map((value) => smsbridge('wakeup', 'node1', '--config', missing, '--timeout-sec', value)));
    for (const run of runs) expect(oneJsonError(run, 'wakeup --timeout-sec')).toMatchObject({ code: 'GW_ERR_CONFIG', option: '--timeout-sec' });
  }, TIMEOUT);

  it('core --listen 999.1.1.1:1 is a configuration error, not GW_ERR_SIM_UNAVAILABLE', async ({ expect }) => {
    const cases: [string[], string][] = [
      [['core', '--listen', '999.1.1.1:1'], '--listen'],
      [['core', '--listen', '127.0.0.1:1', '--http', '1.2.3:80'], '--http'],
      [['core', '--listen', '[::1:1'], '--listen'],
      [['core', '--listen', '[fe80::zz]:1'], '--listen'],
      [['core', '--listen', 'bad_host!:1'], '--listen'],
      [['core', '--listen', '127.0.0.1:0', '--ack-timeout-ms', '2e3'], '--ack-timeout-ms'],
      [['core', '--listen', '127.0.0.1:0', '--max-retransmit', '-1'], '--max-retransmit'],
    ];
    const runs = await Promise.all(cases.map(([args]) => smsbridge(...args)));
    cases.forEach(([args, option], i) => {
      expect(oneJsonError(runs[i]!, args.join(' ')), args.join(' ')).toMatchObject({ code: 'GW_ERR_CONFIG', option });
    });
  }, TIMEOUT);

  it('sim network, sim modem, sim device and demo refuse bad values before starting anything', async ({ expect }) => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-options-'));
    temps.push(dir);
    const link = join(dir, 'ttySIM0');
    const cases: [string[], string][] = [
      [['sim', 'network', '--listen', '999.1.1.1:0'], '--listen'],
      [['sim', 'network', '--listen', '127.0.0.1:0', '--delivery-delay-ms', 'soon'], '--delivery-delay-ms'],
      [['sim', 'network', '--listen', '127.0.0.1:0', '--retry-interval-ms', '-5'], '--retry-interval-ms'],
      [['sim', 'network', '--listen', '127.0.0.1:0', '--smsc', 'SMSC'], '--smsc'],
      [['sim', 'modem', '--msisdn', '-1', '--link', link], '--msisdn'],
      [['sim', 'modem', '--msisdn', '+4917000000001', '--link', link, '--network', '999.1.1.1:7890'], '--network'],
      [['sim', 'device', '--msisdn', '+491700000101', '--endpoint', 'e', '--binding', 'U', '--udp', '999.1.1.1:5683'], '--udp'],
      [['sim', 'device', '--msisdn', '+491700000101', '--endpoint', 'e', '--binding', 'S', '--network', '127.0.0.1:1', '--gateway-number', 'gw'], '--gateway-number'],
      [['sim', 'device', '--msisdn', '+491700000101', '--endpoint', 'e', '--binding', 'U', '--udp', '127.0.0.1:1', '--lifetime', '-5'], '--lifetime'],
      [['demo', '--duration', '0x10'], '--duration'],
      [['demo', '--read-interval-ms', '1e3'], '--read-interval-ms'],
    ];
    const runs = await Promise.all(cases.map(([args]) => smsbridge(...args)));
    cases.forEach(([args, option], i) => {
      expect(oneJsonError(runs[i]!, args.join(' ')), args.join(' ')).toMatchObject({ code: 'GW_ERR_CONFIG', option });
    });
  }, TIMEOUT);
});

describe('start-up', () => {
  it('pdu decode loads neither the simulators, the lab, the gateway, the admin API, the modem layer, serialport, ioredis, fastify nor prom-client', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-loads-'));
    temps.push(dir);
    const file = join(dir, 'loads.txt');
    const hex = '07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37';
    const run = await new Promise<Run>((resolve) => {
      execFile(
        process.execPath, ['--import', './test/support/record-loads.mjs', BIN, 'pdu', 'decode', hex],
        { cwd: ROOT, encoding: 'utf8', timeout: RUN_SAFETY_TIMEOUT_MS, env: { ...process.env, RECORD_LOADS_FILE: file } },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
      );
    });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ type: 'deliver', text: 'hellohello' });
    const loaded = [...new Set((await readFile(file, 'utf8')).split('\n').filter((url) => url.length > 0))];
    expect(loaded.some((url) => url.endsWith('/dist/sms/pdu-decode.js')), 'the codec is loaded').toBe(true);
    // The profile table (pure data) is loaded for the help of `sim modem --profile`; nothing else of sim.
    const forbidden = loaded.filter((url) => /\/(?:serialport|@serialport|ioredis|fastify|@fastify|prom-client)\/|\/dist\/(?:lab|gateway|bridge|modem|inbox|lwm2m|admin)\/|\/dist\/cli\/api-(?:client|tables)\.js$|\/dist\/sim\/(?!modem\/profiles\.js$)/.test(url));
    expect(forbidden).toEqual([]);
  }, TIMEOUT);
});
