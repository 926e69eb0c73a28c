/**
 * A third-party AT client that drives real phones and modems must be able to use the simulated
 * modem: identify it, send an SMS through it and list the SMS it received. The client is gammu
 * (Debian package `gammu`, installed by .ci/ensure-system-packages), run as its own process on
 * the modem's pty, once per modem profile:
 *
 *   gammu ─pty─ SimModem (profile) ── SimNetwork ── peer (a network subscriber, in-process)
 *
 * gammu waits ~0.4 s after every command it writes, so one invocation takes ~4 s; the profiles
 * run concurrently. Every gammu run has a time limit, so a hang fails the test instead of
 * blocking it; gammu's own log is attached to the failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { SIM_PROFILES, SimModem, type SimProfileName } from '../../src/sim/modem/index.ts';
import { SimNetworkClient, type SimDelivery } from '../../src/sim/network/network-client.ts';
import { SimNetwork } from '../../src/sim/network/sim-network.ts';
import { decodePdu, splitIntoSubmitPdus } from '../../src/sms/index.ts';
import { DELIVER_INTERNATIONAL_TEST2 } from '../fixtures/pdu/vectors.ts';

const MODEM = '+491700000001';
const PEER = '+491700000009';
const IMEI = '356938035643809';
const IMSI = '001010123456789';
/** Time limit of one gammu run. */
const GAMMU_TIMEOUT_MS = 60_000;

interface GammuRun {
  readonly code: number | null;
  readonly output: string;
  readonly timedOut: boolean;
}

/** Runs `gammu -c <rc> <args>` with a UTF-8 locale and a time limit; stdout and stderr together. */
function gammu(rc: string, ...args: string[]): Promise<GammuRun> {
  return new Promise((resolve) => {
    const child = spawn('gammu', ['-c', rc, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, GAMMU_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}${error.message}`, timedOut });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

/** `Key : value` lines of gammu's output. */
function fields(output: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^([A-Za-z][A-Za-z ]*?)\s+:\s(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) result[match[1]] = match[2].trim();
  }
  return result;
}

async function eventually(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An SMS-SUBMIT TPDU (hex, no SMSC field) from the peer to the modem. */
function submitTpdu(text: string, textEncoding: 'gsm7' | 'ucs2'): string {
  const [part] = splitIntoSubmitPdus({ destination: MODEM, payload: { text }, textEncoding });
  if (part === undefined) throw new Error('no PDU');
  return Buffer.from(part.bytes.slice(part.bytes.length - part.tpduLength)).toString('hex').toUpperCase();
}

describe('gammu (a third-party AT client) drives the simulated modem', () => {
  beforeAll(() => {
    const probe = spawnSync('gammu', ['--version'], { encoding: 'utf8' });
    if (probe.error !== undefined || probe.status !== 0) {
      throw new Error('gammu is not installed: run `bash .ci/ensure-system-packages` (Debian package gammu)');
    }
  });

  const profiles = Object.keys(SIM_PROFILES) as SimProfileName[];
  it.concurrent.for(profiles)('%s profile: identify, sendsms and getallsms', { timeout: 4 * GAMMU_TIMEOUT_MS + 30_000 }, async (profileName, { expect }) => {
    const profile = SIM_PROFILES[profileName];
    const dir = await mkdtemp(join(tmpdir(), 'gammu-sim-'));
    const link = join(dir, 'ttySIM0');
    const log = join(dir, 'gammu.log');
    const rc = join(dir, 'gammurc');
    await writeFile(rc, `[gammu]\ndevice = ${link}\nconnection = at115200\nlogfile = ${log}\nlogformat = textall\n`);
    const network = await SimNetwork.start({ deliveryDelayMs: 0 });
    let modem: SimModem | null = null;
    let peer: SimNetworkClient | null = null;
    /** Asserts a gammu run succeeded; on failure shows its output and the end of gammu's log. */
    const succeeded = async (run: GammuRun, what: string): Promise<string> => {
      if (run.code !== 0) {
        const logText = await readFile(log, 'utf8').catch(() => '(no log)');
        expect.fail(`gammu ${what} ${run.timedOut ? 'timed out' : `exited ${run.code}`}: ${run.output}\n--- gammu log (end) ---\n${logText.slice(-6000)}`);
      }
      return run.output;
    };
    try {
      modem = await SimModem.start({ msisdn: MODEM, linkPath: link, network: network.address, profile: profileName, imei: IMEI, imsi: IMSI });
      const connected = await SimNetworkClient.connect({ ...network.address, msisdn: PEER });
      peer = connected;
      const received: SimDelivery[] = [];
      connected.on('deliver', (delivery) => {
        received.push(delivery);
        connected.ack(delivery.deliveryId, true);
      });

      // 1. Identify: AT+CGMI/CGMM/CGMR/CGSN/CIMI as gammu asks for them.
      const identity = fields(await succeeded(await gammu(rc, 'identify'), 'identify'));
      expect(identity.Manufacturer?.toLowerCase()).toBe(profile.manufacturer.toLowerCase());
      expect(identity.Model).toContain(profile.model);
      expect(identity.Firmware).toBe(profile.revision);
      expect(identity.IMEI).toBe(IMEI);
      expect(identity['SIM IMSI']).toBe(IMSI);

      // 2. Send: gammu writes a PDU after AT+CMGS; the peer must receive the text from the modem's number.
      expect(await succeeded(await gammu(rc, 'sendsms', 'TEXT', PEER, '-text', 'hello'), 'sendsms')).toMatch(/OK, message reference=0\b/);
      expect(await succeeded(await gammu(rc, 'sendsms', 'TEXT', PEER, '-unicode', '-text', 'Grüße ☺'), 'sendsms -unicode')).toMatch(/OK, message reference=1\b/);
      await eventually('the peer received both SMS', () => received.length === 2);
      const texts = received.map((delivery) => {
        const pdu = decodePdu(delivery.pduHex);
        if (pdu.type !== 'deliver') throw new Error(`expected a deliver, got ${pdu.type}`);
        expect(pdu.originator).toMatchObject({ value: MODEM.slice(1), typeOfNumber: 'international' });
        return pdu.userData.text;
      });
      expect(texts).toEqual(['hello', 'Grüße ☺']);
      expect(modem.stats).toMatchObject({ smsSubmitted: 2, smsSent: 2 });

      // 3. Receive: two SMS from the peer through the network, one delivered directly; gammu lists all three.
      expect(await connected.submit(submitTpdu('hello gammu, from the network', 'gsm7'))).toEqual({ ok: true });
      expect(await connected.submit(submitTpdu('Grüße aus dem Netz €', 'ucs2'))).toEqual({ ok: true });
      expect(await modem.injectIncoming(DELIVER_INTERNATIONAL_TEST2.hex)).toEqual({ ok: true });
      const stored = modem;
      await eventually('the modem stored three SMS', () => stored.status.used.SM === 3);
      const listing = await succeeded(await gammu(rc, 'getallsms'), 'getallsms');
      expect(listing).toContain('\nhello gammu, from the network\n');
      expect(listing).toContain('\nGrüße aus dem Netz €\n');
      expect(listing).toContain('\nTest2\n');
      expect(listing.match(/Remote number\s+: "\+491700000009"/g)).toHaveLength(2);
      expect(listing).toMatch(/Remote number\s+: "\+27821234567"/);
      expect(listing).toContain('3 SMS parts in 3 SMS sequences');

      expect(modem.stats.internalErrors).toBe(0);
    } finally {
      await modem?.stop();
      await peer?.close();
      await network.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
