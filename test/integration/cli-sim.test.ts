/**
 * `smsbridge sim network`, `smsbridge sim modem` and the `smsbridge at` console, each run as its
 * own process (the `bin` entry of package.json: the compiled dist/main.js, cwd = repository root), the
 * way a developer or a benchmark wires them up by hand:
 *
 *   at console ─pty─ sim modem A ─┐                    ┌─ sim modem B (ec25) ─pty─ at console
 *                (control port)   └── sim network ─────┘  (control port)
 *
 * The tests of a file run in order and share the three long-running processes; the last one
 * stops them with SIGTERM and checks that the links are gone.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { lstat, mkdtemp, realpath, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePdu, splitIntoSubmitPdus } from '../../src/sms/index.ts';
import { BIN, ROOT, RUN_SAFETY_TIMEOUT_MS, smsbridge, type Run } from '../support/smsbridge-cli.ts';

/** Safety net of one test (several processes and waits); never a speed check. */
const TEST_SAFETY_MS = 2 * RUN_SAFETY_TIMEOUT_MS;

const A = '+491700000001';
const B = '+491700000002';

/** Non-empty stdout lines. */
function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0);
}

/** The single JSON object on stderr of a failed run. */
function stderrJson(run: Run): Record<string, unknown> {
  const [line, ...rest] = lines(run.stderr);
  expect(rest, run.stderr).toEqual([]);
  return JSON.parse(line ?? '') as Record<string, unknown>;
}

/** A long-running `smsbridge` process with its output collected. */
class Proc {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  #cursor = 0;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #wake: (() => void) | null = null;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString('latin1');
      this.#wake?.();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
      this.#wake?.();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      resolve({ code, signal });
      this.#wake?.();
    }));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Waits until stdout (after what earlier calls consumed) matches `pattern`; returns the text up
   * to the end of the match and consumes it. Fails when the process ends, or after `timeoutMs`
   * (a safety net for a hung process, not a speed check).
   */
  async waitFor(pattern: RegExp, timeoutMs = RUN_SAFETY_TIMEOUT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const rest = this.stdout.slice(this.#cursor);
      const match = pattern.exec(rest);
      if (match !== null) {
        const end = match.index + match[0].length;
        this.#cursor += end;
        return rest.slice(0, end);
      }
      const left = deadline - Date.now();
      if (left <= 0 || !this.running) {
        throw new Error(`no ${String(pattern)} on stdout (${this.running ? 'timed out' : 'process ended'}); stdout ${JSON.stringify(rest)}, stderr ${JSON.stringify(this.stderr)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** The first stdout line as JSON (the ready line of `sim network` / `sim modem`). */
  async readyJson(timeoutMs = RUN_SAFETY_TIMEOUT_MS): Promise<Record<string, unknown>> {
    const line = await this.waitFor(/^[^\n]*\n/, timeoutMs);
    return JSON.parse(line) as Record<string, unknown>;
  }

  /** Sends `signal` and resolves with how the process ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** Clean-up after a failure: SIGTERM (a modem removes its link), SIGKILL if it does not end in 3 s. */
  async terminate(): Promise<void> {
    if (!this.running) return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.stop('SIGTERM');
    clearTimeout(timer);
  }
}

/** One request on a modem's control port; resolves with its reply line. */
function control(address: string, request: Record<string, unknown>): Promise<Record<string, unknown>> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${JSON.stringify(request)} within the ${RUN_SAFETY_TIMEOUT_MS / 1000} s safety timeout`));
    }, RUN_SAFETY_TIMEOUT_MS);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      resolve(JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>);
    });
    socket.write(`${JSON.stringify(request)}\n`);
  });
}

/** The `status` object of a modem, through its control port. */
async function status(address: string): Promise<Record<string, unknown> & { used: Record<string, number>; poweredOn: boolean; hung: boolean }> {
  const reply = await control(address, { op: 'status' });
  expect(reply).toMatchObject({ ok: true, op: 'status', plugged: true });
  return reply.status as Record<string, unknown> & { used: Record<string, number>; poweredOn: boolean; hung: boolean };
}

/** Polls `check` until it returns true. */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = RUN_SAFETY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}

interface ModemProc {
  readonly proc: Proc;
  readonly dir: string;
  readonly link: string;
  readonly control: string;
  readonly ready: Record<string, unknown>;
}

const temps: string[] = [];
const procs: Proc[] = [];

async function startModem(msisdn: string, networkAddress: string | null, extra: string[] = []): Promise<ModemProc> {
  const dir = await mkdtemp(join(tmpdir(), 'cli-sim-'));
  temps.push(dir);
  const link = join(dir, 'ttySIM0');
  const proc = new Proc(['sim', 'modem', '--msisdn', msisdn, '--link', link, '--control', '127.0.0.1:0', ...(networkAddress === null ? [] : ['--network', networkAddress]), ...extra]);
  procs.push(proc);
  const ready = await proc.readyJson();
  return { proc, dir, link, control: String(ready.control), ready };
}

describe('smsbridge sim network, sim modem and at as separate processes', () => {
  let network: Proc;
  let networkAddress: string;
  let a: ModemProc;
  let b: ModemProc;

  beforeAll(async () => {
    network = new Proc(['sim', 'network', '--listen', '127.0.0.1:0', '--delivery-delay-ms', '0']);
    procs.push(network);
    networkAddress = String((await network.readyJson()).listening);
    [a, b] = await Promise.all([startModem(A, networkAddress), startModem(B, networkAddress, ['--profile', 'ec25'])]);
  }, TEST_SAFETY_MS);

  afterAll(async () => {
    await Promise.all(procs.map((proc) => proc.terminate()));
    await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('prints one ready line per modem and links the pty at --link', async () => {
    expect(networkAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(a.ready).toEqual({ modem: a.link, msisdn: A, profile: 'generic', network: networkAddress, control: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(b.ready).toMatchObject({ modem: b.link, msisdn: B, profile: 'ec25', network: networkAddress });
    for (const modem of [a, b]) {
      expect((await lstat(modem.link)).isSymbolicLink()).toBe(true);
      expect(await realpath(modem.link)).toMatch(/^\/dev\/pts\/\d+$/);
    }
  });

  it('runs ATI, AT+CSQ and AT+CPMS? with the non-interactive at console', async () => {
    // One console per port at a time: the port is opened exclusively (TIOCEXCL).
    const [onA, onB] = await Promise.all([smsbridge('at', a.link, 'ATI', 'AT+CSQ', 'AT+CPMS?'), smsbridge('at', b.link, 'ATI', 'AT+CGMM')]);
    const failing = await smsbridge('at', a.link, 'AT', 'AT+NOSUCH', 'AT');
    expect({ code: onA.code, stderr: onA.stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines(onA.stdout)).toEqual([
      '> ATI', 'SimModem', 'SIM-LTE-1', 'Revision: SIMLTE1.0.0', 'OK',
      '> AT+CSQ', '+CSQ: 20,99', 'OK',
      '> AT+CPMS?', '+CPMS: "SM",0,30,"SM",0,30,"SM",0,30', 'OK',
    ]);
    expect(onB.code).toBe(0);
    expect(lines(onB.stdout)).toEqual(['> ATI', 'Quectel', 'EC25', 'Revision: EC25EFAR06A06M4G', 'OK', '> AT+CGMM', 'EC25', 'OK']);
    // The first error ends the run with exit 1 and the typed error on stderr.
    expect(failing.code).toBe(1);
    expect(lines(failing.stdout)).toEqual(['> AT', 'OK', '> AT+NOSUCH', 'AT+NOSUCH answered ERROR']);
    expect(stderrJson(failing)).toMatchObject({ code: 'GW_ERR_AT_COMMAND', command: 'AT+NOSUCH' });
  }, TEST_SAFETY_MS);

  it('sends an SMS from A to B with the interactive at console (PDU mode) and reads it on B with AT+CMGL=4', async () => {
    const [part] = splitIntoSubmitPdus({ destination: B, payload: { text: 'hello B, from the at console' } });
    if (part === undefined) throw new Error('no PDU');
    const consoleA = new Proc(['at', a.link]);
    procs.push(consoleA);
    consoleA.child.stdin.write('AT+CMGF=0\n');
    await consoleA.waitFor(/\nOK\n/);
    consoleA.child.stdin.write(`AT+CMGS=${part.tpduLength}\n`);
    await consoleA.waitFor(/> /);
    consoleA.child.stdin.write(`${part.hex}^Z\n`); // the console turns a trailing ^Z into Ctrl-Z
    expect(await consoleA.waitFor(/\+CMGS: \d+\n+OK\n/)).toMatch(/\+CMGS: 0\n/);
    consoleA.child.stdin.end();
    expect(await consoleA.exited).toEqual({ code: 0, signal: null });
    expect(consoleA.stderr).toContain('connected');

    expect(network.stderr).toContain('submitted 491700000001 -> 491700000002');
    await eventually('B stored the SMS', async () => (await status(b.control)).used.SM === 1);
    const listing = await smsbridge('at', b.link, 'AT+CMGF=0', 'AT+CMGL=4');
    expect(listing.code, listing.stderr).toBe(0);
    const [, , , header, pduLine, ok] = lines(listing.stdout);
    expect(lines(listing.stdout).slice(0, 3)).toEqual(['> AT+CMGF=0', 'OK', '> AT+CMGL=4']);
    expect(ok).toBe('OK');
    const listed = /^\+CMGL: 1,0,,(\d+)$/.exec(header ?? '');
    expect(listed, header).not.toBeNull();
    const pdu = decodePdu(pduLine ?? '');
    if (pdu.type !== 'deliver') throw new Error(`expected a deliver, got ${pdu.type}`);
    expect(pdu.originator).toMatchObject({ value: '491700000001', typeOfNumber: 'international' });
    expect(pdu.userData.text).toBe('hello B, from the at console');
    expect(pdu.smsc).toMatchObject({ value: '491720000000' });
    // <length> counts the TPDU octets only, without the SMSC field (TS 27.005 §3.1).
    const smscOctets = 1 + Number.parseInt((pduLine ?? '').slice(0, 2), 16);
    expect(Number(listed?.[1])).toBe((pduLine ?? '').length / 2 - smscOctets);
    expect(await status(b.control)).toMatchObject({ used: { SM: 1 } });
  }, TEST_SAFETY_MS);

  it('answers AT and ATI in the interactive console, and shows the boot banner after a reboot over the control port', async () => {
    const consoleA = new Proc(['at', a.link]);
    procs.push(consoleA);
    consoleA.child.stdin.write('AT\n');
    await consoleA.waitFor(/\nOK\n/);
    consoleA.child.stdin.write('ATI\n');
    expect(await consoleA.waitFor(/Revision: SIMLTE1\.0\.0\n+OK\n/)).toContain('SimModem\nSIM-LTE-1\n');

    expect(await control(a.control, { op: 'reboot' })).toEqual({ ok: true, op: 'reboot' });
    expect(await status(a.control)).toMatchObject({ poweredOn: false });
    await consoleA.waitFor(/RDY\n/); // the generic profile's banner after rebootDelayMs
    await eventually('A is back', async () => {
      const now = await status(a.control);
      return now.poweredOn && now.sim === 'ready';
    });
    consoleA.child.stdin.write('AT\n');
    await consoleA.waitFor(/\nOK\n/);
    consoleA.child.stdin.end();
    expect(await consoleA.exited).toEqual({ code: 0, signal: null });
    expect(a.proc.stderr).toContain('control reboot');
  }, TEST_SAFETY_MS);

  it('injects faults over the control port: hang, drop, delay, garbage, storage-full, unplug/replug', async () => {
    expect(await control(a.control, { op: 'hang' })).toEqual({ ok: true, op: 'hang' });
    expect(await status(a.control)).toMatchObject({ hung: true });
    const hung = await smsbridge('at', '--timeout-ms', '400', a.link, 'AT');
    expect(hung.code).toBe(1);
    expect(stderrJson(hung)).toMatchObject({ code: 'GW_ERR_AT_TIMEOUT' });
    expect(await control(a.control, { op: 'unhang' })).toEqual({ ok: true, op: 'unhang' });

    expect(await control(a.control, { op: 'drop', count: 1 })).toEqual({ ok: true, op: 'drop' });
    const dropped = await smsbridge('at', '--timeout-ms', '400', a.link, 'AT');
    expect(stderrJson(dropped)).toMatchObject({ code: 'GW_ERR_AT_TIMEOUT' });

    expect(await control(a.control, { op: 'delay', ms: 300 })).toEqual({ ok: true, op: 'delay' });
    const started = Date.now();
    const delayed = await smsbridge('at', a.link, 'AT');
    expect(delayed.code, delayed.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(await control(a.control, { op: 'delay', ms: 0 })).toEqual({ ok: true, op: 'delay' });

    for (const kind of ['nul', 'random', 'long-line']) {
      expect(await control(a.control, { op: 'garbage', kind })).toEqual({ ok: true, op: 'garbage' });
    }
    const afterGarbage = await smsbridge('at', a.link, 'AT', 'AT+CSQ');
    expect(afterGarbage.code, afterGarbage.stderr).toBe(0);
    expect(lines(afterGarbage.stdout)).toContain('+CSQ: 20,99');

    expect(await control(a.control, { op: 'storage-full', memory: 'ME' })).toEqual({ ok: true, op: 'storage-full', memory: 'ME', added: 100 });
    const cpms = await smsbridge('at', a.link, 'AT+CPMS="ME"');
    expect(lines(cpms.stdout)).toContain('+CPMS: 100,100,0,30,0,30');

    expect(await control(a.control, { op: 'unplug' })).toEqual({ ok: true, op: 'unplug' });
    expect(await exists(a.link)).toBe(false);
    const unplugged = await smsbridge('at', a.link, 'AT');
    expect(stderrJson(unplugged)).toMatchObject({ code: 'GW_ERR_MODEM_OPEN' });
    expect(await control(a.control, { op: 'replug' })).toEqual({ ok: true, op: 'replug' });
    expect((await lstat(a.link)).isSymbolicLink()).toBe(true);
    const replugged = await smsbridge('at', a.link, 'AT+CPMS?');
    expect(lines(replugged.stdout)).toContain('+CPMS: "ME",100,100,"SM",0,30,"SM",0,30'); // state kept

    expect(await control(a.control, { op: 'explode' })).toMatchObject({ ok: false, code: 'GW_ERR_SIM_PROTOCOL', message: 'unknown op "explode"' });
    expect(await control(a.control, { op: 'drop', count: -1 })).toMatchObject({ ok: false, code: 'GW_ERR_SIM_PROTOCOL' });
    const final = await control(a.control, { op: 'status' });
    expect(final).toMatchObject({ ok: true, plugged: true, status: { poweredOn: true, hung: false }, stats: { internalErrors: 0 } });
  }, TEST_SAFETY_MS);

  it('runs standalone without --network: a PIN is asked and sends fail with +CMS ERROR: 331', async () => {
    const c = await startModem('+491700000003', null, ['--profile', 'sim800', '--pin', '1234', '--cmgs-latency-ms', '5']);
    expect(c.ready).toMatchObject({ profile: 'sim800', network: null });
    const [part] = splitIntoSubmitPdus({ destination: A, payload: { text: 'x' } });
    if (part === undefined) throw new Error('no PDU');
    const run = await smsbridge('at', c.link, 'AT+CMEE=1', 'AT+CPIN?', 'AT+CPIN="1234"', 'AT+CPIN?');
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual(expect.arrayContaining(['+CPIN: SIM PIN', '+CPIN: READY']));
    await eventually('C is registered', async () => (await status(c.control)).regStat === 1);
    const consoleC = new Proc(['at', c.link]);
    procs.push(consoleC);
    consoleC.child.stdin.write('AT+CMGF=0\n');
    await consoleC.waitFor(/\nOK\n/);
    consoleC.child.stdin.write(`AT+CMGS=${part.tpduLength}\n`);
    await consoleC.waitFor(/> /);
    consoleC.child.stdin.write(`${part.hex}^Z\n`);
    await consoleC.waitFor(/\+CMS ERROR: 331\n/);
    consoleC.child.stdin.end();
    expect(await consoleC.exited).toEqual({ code: 0, signal: null });
    expect(await c.proc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await exists(c.link)).toBe(false);
  }, TEST_SAFETY_MS);

  it('refuses bad options with exit 1 and a JSON error naming the option', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-sim-'));
    temps.push(dir);
    const link = join(dir, 'ttySIM0');
    const cases: Array<[string[], string]> = [
      [['--msisdn', 'abc', '--link', link], '--msisdn'],
      [['--msisdn', A, '--link', join(dir, 'missing', 'ttySIM0')], '--link'],
      [['--msisdn', A, '--link', link, '--profile', 'nokia3310'], '--profile'],
      [['--msisdn', A, '--link', link, '--network', 'nowhere'], '--network'],
      [['--msisdn', A, '--link', link, '--control', 'localhost:99999'], '--control'],
      [['--msisdn', A, '--link', link, '--cmgs-latency-ms', 'soon'], '--cmgs-latency-ms'],
      [['--msisdn', A, '--link', link, '--pin', '12'], '--pin'],
    ];
    const runs = await Promise.all(cases.map(([args]) => smsbridge('sim', 'modem', ...args)));
    runs.forEach((run, i) => {
      const option = cases[i]?.[1];
      expect({ code: run.code, stdout: run.stdout }, option).toEqual({ code: 1, stdout: '' });
      expect(stderrJson(run), option).toMatchObject({ code: 'GW_ERR_CONFIG', option });
    });
    expect(await exists(link)).toBe(false);
    // A required option left out is a usage error: commander's message names it.
    const missing = await smsbridge('sim', 'modem', '--link', link);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--msisdn');
  }, TEST_SAFETY_MS);

  it('stops every process on SIGTERM with exit 0 and removes the links', async () => {
    const ends = await Promise.all([a.proc.stop('SIGTERM'), b.proc.stop('SIGTERM')]);
    expect(ends).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
    expect(await exists(a.link)).toBe(false);
    expect(await exists(b.link)).toBe(false);
    expect(await network.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, TEST_SAFETY_MS);
});
