/**
 * The modem pool against simulated modems on real pseudo-terminals (serialport), the simulated
 * network and a private Redis: routing by destination prefix, all parts of a message on one
 * modem, load spreading, failover only when nothing of the message left, the "no modem" error,
 * and the per-modem rate limit.
 */
import { describe, expect, it } from 'vitest';
import { ModemPool, type PoolMember } from '../../../src/modem/modem-pool.ts';
import type { ModemDriver } from '../../../src/modem/modem-driver.ts';
import type { ModemConfig, SendRequest, SendResult } from '../../../src/modem/modem-types.ts';
import type { ModemProfile } from '../../../src/modem/profile.ts';
import type { SimModem, SimModemOptions } from '../../../src/sim/modem/index.ts';
import type { SimNetwork } from '../../../src/sim/network/sim-network.ts';
import { decodePdu, splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { bytes, hex, profileWithCnmi, startDevice, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();

const digits = (number: string): string => number.replace(/\D/g, '');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A simulated modem with its own MSISDN, its driver, and its pool membership. */
interface TestModem {
  readonly sim: SimModem;
  readonly driver: ModemDriver;
  readonly member: PoolMember;
}

interface ModemOptions {
  readonly groups?: readonly string[];
  readonly maxPartsPerSec?: number;
  readonly sim?: Partial<Omit<SimModemOptions, 'linkPath' | 'network' | 'msisdn'>>;
  readonly config?: Partial<ModemConfig>;
  /** The driver state to wait for (default `ready`); null waits for nothing. */
  readonly waitFor?: 'ready' | 'failed' | null;
  /** False attaches the simulated modem to no network (every send fails with +CMS ERROR: 331). */
  readonly attached?: boolean;
  /** Profiles the driver knows (the repository's by default). */
  readonly profiles?: readonly ModemProfile[];
}

async function startModem(network: SimNetwork, name: string, msisdn: string, options: ModemOptions = {}): Promise<TestModem> {
  const sim = await startSimModem(options.attached === false ? null : network, { ...options.sim, msisdn });
  const driver = startDriver(testConfig(name, sim.linkPath, options.config), options.profiles);
  const state = options.waitFor === undefined ? 'ready' : options.waitFor;
  if (state !== null) await driver.waitFor(state, 10_000);
  // The driver sweeps its storages right after becoming ready (AT+CMGL, 60 s timeout); a sweep
  // of our own, queued behind it, returns once the channel is idle, so faults injected next
  // (hang, reboot) hit the command the test sends and not the start-up sweep.
  if (state === 'ready') await driver.sweep();
  return { sim, driver, member: { driver, groups: options.groups ?? [], maxPartsPerSec: options.maxPartsPerSec ?? 0 } };
}

/** One message of `size` bytes to `to` (3 parts for 400 bytes, 1 part for up to 140). */
function message(id: string, to: string, size: number, concatReference = 0): SendRequest {
  return { messageId: id, recipient: to, parts: splitIntoSubmitPdus({ destination: to, payload: { data: bytes(size, id.length + size) }, concatReference }) };
}

interface Received {
  readonly originator: string;
  readonly reference: number | null;
  readonly sequence: number | null;
  readonly total: number | null;
  readonly dataHex: string;
}

/** A device (network subscriber) that records every SMS-DELIVER it gets, decoded. */
async function startRecordingDevice(network: SimNetwork, msisdn: string): Promise<Received[]> {
  const device = await startDevice(network, msisdn);
  const received: Received[] = [];
  device.client.on('deliver', (delivery) => {
    if (delivery.kind !== 'deliver') return;
    const pdu = decodePdu(delivery.pduHex);
    if (pdu.type !== 'deliver') return;
    const concat = pdu.userData.header?.concatenation ?? null;
    received.push({
      originator: digits(pdu.originator.value), reference: concat?.reference ?? null,
      sequence: concat?.sequence ?? null, total: concat?.total ?? null, dataHex: hex(pdu.userData.data),
    });
  });
  return received;
}

const submitted = (modems: readonly TestModem[]): number[] => modems.map((m) => m.sim.stats.smsSubmitted);

describe('ModemPool: routing', () => {
  it('routes by the longest matching prefix to a modem of the group, and an unmatched number to any modem', async () => {
    const network = await startNetwork();
    const [mobile, fixed, france] = await Promise.all([
      startModem(network, 'de-mobile-1', '+491700000021', { groups: ['de-mobile'] }),
      startModem(network, 'de-1', '+491600000022', { groups: ['de'] }),
      startModem(network, 'fr-1', '+33600000023', { groups: ['fr'] }),
    ]);
    const modems = [mobile!, fixed!, france!];
    const pool = new ModemPool(modems.map((m) => m.member), {
      routes: [{ prefix: '+49', group: 'de' }, { prefix: '+4917', group: 'de-mobile' }, { prefix: '+33', group: 'fr' }],
    });
    expect(pool.groupFor('+491709990100')).toBe('de-mobile');
    expect(pool.groupFor('+491519990101')).toBe('de');
    expect(pool.groupFor('+33612340102')).toBe('fr');
    expect(pool.groupFor('+447700900103')).toBeNull();
    expect(pool.candidates('+491709990100')).toEqual([mobile!.driver]);

    const cases = [
      { to: '+491709990100', expected: [mobile!] },
      { to: '+491519990101', expected: [fixed!] },
      { to: '+33612340102', expected: [france!] },
      { to: '+447700900103', expected: modems }, // no rule: any modem
    ];
    for (const [n, { to, expected }] of cases.entries()) {
      const inbox = await startRecordingDevice(network, to);
      const before = submitted(modems);
      const result = await pool.send(message(`route-${n}`, to, 30));
      expect(result.failure).toBeNull();
      const chosen = modems.find((m) => m.driver.config.name === result.modem);
      expect(chosen, `${to} went to ${result.modem}`).toBeDefined();
      expect(expected).toContain(chosen);
      // Exactly the chosen simulated modem submitted the SMS.
      expect(submitted(modems).map((count, i) => count - before[i]!)).toEqual(modems.map((m) => (m === chosen ? 1 : 0)));
      await expect.poll(() => inbox.length, { timeout: 5000 }).toBe(1);
      expect(inbox[0]?.originator).toBe(digits(chosen!.sim.msisdn));
    }
  }, 20_000);
});

describe('ModemPool: concatenated messages', () => {
  it('sends every part of a message on one modem, with two equally good modems and concurrent messages', async () => {
    const network = await startNetwork();
    const modems = await Promise.all([
      startModem(network, 'a', '+491700000031', { sim: { cmgsLatencyMs: 20 } }),
      startModem(network, 'b', '+491700000032', { sim: { cmgsLatencyMs: 20 } }),
    ]);
    const to = '+491709990200';
    const inbox = await startRecordingDevice(network, to);
    const pool = new ModemPool(modems.map((m) => m.member));
    const requests = [11, 12, 13, 14, 15, 16].map((reference) => message(`long-${reference}`, to, 400, reference));
    expect(requests.every((r) => r.parts.length === 3)).toBe(true);

    const results = await Promise.all(requests.map((r) => pool.send(r)));
    for (const result of results) {
      expect(result.failure).toBeNull();
      expect(result.sent.map((s) => s.part)).toEqual([1, 2, 3]);
    }
    expect(new Set(results.map((r) => r.modem))).toEqual(new Set(['a', 'b'])); // both modems were used
    expect(submitted(modems).reduce((a, b) => a + b, 0)).toBe(18);

    await expect.poll(() => inbox.length, { timeout: 5000 }).toBe(18);
    for (const [i, result] of results.entries()) {
      const reference = 11 + i;
      const parts = inbox.filter((r) => r.reference === reference);
      expect(parts.map((p) => p.sequence).sort()).toEqual([1, 2, 3]);
      expect(parts.every((p) => p.total === 3)).toBe(true);
      // One originator for all parts: the MSISDN of the modem the pool reported.
      const msisdn = modems.find((m) => m.driver.config.name === result.modem)!.sim.msisdn;
      expect(new Set(parts.map((p) => p.originator))).toEqual(new Set([digits(msisdn)]));
    }
  }, 20_000);
});

describe('ModemPool: load spreading', () => {
  it('spreads 20 concurrent single-part messages roughly evenly over two modems', async () => {
    const network = await startNetwork();
    const modems = await Promise.all([
      startModem(network, 'a', '+491700000041', { sim: { cmgsLatencyMs: 100 } }),
      startModem(network, 'b', '+491700000042', { sim: { cmgsLatencyMs: 100 } }),
    ]);
    const to = '+491709990300';
    const inbox = await startRecordingDevice(network, to);
    const pool = new ModemPool(modems.map((m) => m.member));
    const results = await Promise.all(Array.from({ length: 20 }, (_, n) => pool.send(message(`load-${n}`, to, 20))));
    expect(results.every((r) => r.failure === null)).toBe(true);
    const perModem = ['a', 'b'].map((name) => results.filter((r) => r.modem === name).length);
    for (const count of perModem) {
      expect(count).toBeGreaterThanOrEqual(6);
      expect(count).toBeLessThanOrEqual(14);
    }
    expect(submitted(modems)).toEqual(perModem);
    await expect.poll(() => inbox.length, { timeout: 5000 }).toBe(20);
  }, 20_000);
});

describe('ModemPool: failover', () => {
  it('skips modems that are not ready (wrong PIN: failed; unplugged: disconnected)', async () => {
    const network = await startNetwork();
    const [wrongPin, unplugged, good] = await Promise.all([
      startModem(network, 'wrong-pin', '+491700000051', { sim: { pin: '4711' }, config: { pin: '0000' }, waitFor: 'failed' }),
      startModem(network, 'unplugged', '+491700000052'),
      startModem(network, 'good', '+491700000053'),
    ]);
    await unplugged!.sim.unplug();
    await expect.poll(() => unplugged!.driver.state, { timeout: 5000 }).not.toBe('ready');
    const modems = [wrongPin!, unplugged!, good!];
    const pool = new ModemPool(modems.map((m) => m.member));
    const to = '+491709990400';
    const inbox = await startRecordingDevice(network, to);
    expect(pool.candidates(to)).toEqual([good!.driver]);
    for (let n = 0; n < 3; n++) {
      const result = await pool.send(message(`skip-${n}`, to, 25));
      expect(result).toMatchObject({ modem: 'good', failure: null });
    }
    expect(submitted(modems)).toEqual([0, 0, 3]);
    await expect.poll(() => inbox.map((r) => r.originator), { timeout: 5000 }).toEqual(Array(3).fill(digits(good!.sim.msisdn)));
  }, 20_000);

  it('with onlyPreferred, no other modem stands in for the preferred one while it is away (the device would discard its SMS)', async () => {
    // Found by the modem-loss scenario: a message for a device of an unplugged modem left from the
    // other modem's number, which the device discards.
    const network = await startNetwork();
    const [away, other] = await Promise.all([startModem(network, 'away', '+491700000061'), startModem(network, 'other', '+491700000062')]);
    await away!.sim.unplug();
    await expect.poll(() => away!.driver.state, { timeout: 5000 }).not.toBe('ready');
    const pool = new ModemPool([away!.member, other!.member]);
    const to = '+491709990410';
    await expect(pool.send(message('only-1', to, 25), { preferredModem: 'away', onlyPreferred: true })).rejects.toMatchObject({ code: 'GW_ERR_POOL_NO_MODEM' });
    expect(submitted([away!, other!])).toEqual([0, 0]);
    // Without it, preferring is all: the other modem takes the message.
    expect(await pool.send(message('only-2', to, 25), { preferredModem: 'away' })).toMatchObject({ modem: 'other', failure: null });
  }, 20_000);

  it('moves a message refused before anything left (registration denied) to the next modem', async () => {
    const network = await startNetwork();
    const [denied, other] = await Promise.all([
      startModem(network, 'denied', '+491700000061', { config: { registrationWaitMs: 300 } }),
      startModem(network, 'other', '+491700000062'),
    ]);
    denied!.sim.setRegistration('denied');
    // Both modems are ready: the first member ranks first (same load, both never used).
    const pool = new ModemPool([denied!.member, other!.member]);
    const to = '+491709990500';
    expect(pool.candidates(to)).toEqual([denied!.driver, other!.driver]);
    const inbox = await startRecordingDevice(network, to);
    const result = await pool.send(message('denied-1', to, 25));
    expect(result).toMatchObject({ modem: 'other', failure: null });
    expect(result.sent).toHaveLength(1);
    expect(denied!.driver.status.counters).toMatchObject({ sent: 0, sendFailed: 1, sendUnknown: 0 });
    expect(submitted([denied!, other!])).toEqual([0, 1]);
    await expect.poll(() => inbox.map((r) => r.originator), { timeout: 5000 }).toEqual([digits(other!.sim.msisdn)]);
  }, 20_000);

  it('moves a message from a hung modem (no prompt, nothing written) to the next modem, then ranks the hung one last', async () => {
    const network = await startNetwork();
    // A short prompt timeout so the hung modem gives up quickly; no watchdog in the way.
    const fast: ModemProfile = { ...profileWithCnmi('fast-prompt', '2,1,0,2,0'), promptTimeoutMs: 500 };
    const config = { profile: 'fast-prompt', watchdogIntervalMs: 60_000 };
    const [hung, other] = await Promise.all([
      startModem(network, 'hung', '+491700000066', { profiles: [fast], config }),
      startModem(network, 'other', '+491700000067', { profiles: [fast], config }),
    ]);
    const pool = new ModemPool([hung!.member, other!.member]);
    const to = '+491709990550';
    const inbox = await startRecordingDevice(network, to);
    hung!.sim.hang();
    const first = await pool.send(message('hung-1', to, 25));
    expect(first).toMatchObject({ modem: 'other', failure: null });
    expect(hung!.driver.status.counters).toMatchObject({ sent: 0, sendFailed: 1, sendUnknown: 0 });
    expect(hung!.driver.state).not.toBe('ready'); // degraded (or already re-initialising)
    // Now the ready modem ranks first: no second wait on the hung one.
    expect(pool.candidates(to)[0]).toBe(other!.driver);
    const second = await pool.send(message('hung-2', to, 25));
    expect(second).toMatchObject({ modem: 'other', failure: null });
    expect(submitted([hung!, other!])).toEqual([0, 2]);
    await expect.poll(() => inbox.map((r) => r.originator), { timeout: 5000 }).toEqual(Array(2).fill(digits(other!.sim.msisdn)));
  }, 20_000);

  it('moves a message refused by the modem (no network: +CMS ERROR: 331) to the next modem', async () => {
    const network = await startNetwork();
    const [detached, other] = await Promise.all([
      startModem(network, 'no-network', '+491700000071', { attached: false }),
      startModem(network, 'other', '+491700000072'),
    ]);
    const pool = new ModemPool([detached!.member, other!.member]);
    const to = '+491709990600';
    const inbox = await startRecordingDevice(network, to);
    const result = await pool.send(message('refused-1', to, 25));
    expect(result).toMatchObject({ modem: 'other', failure: null });
    expect(detached!.driver.status.counters).toMatchObject({ sent: 0, sendFailed: 1 });
    expect(other!.driver.status.counters).toMatchObject({ sent: 1, sendFailed: 0 });
    await expect.poll(() => inbox.map((r) => r.originator), { timeout: 5000 }).toEqual([digits(other!.sim.msisdn)]);
  }, 20_000);

  it('returns the last refusal when every modem refused before anything left', async () => {
    const network = await startNetwork();
    const modems = await Promise.all([
      startModem(network, 'x', '+491700000076', { attached: false }),
      startModem(network, 'y', '+491700000077', { attached: false }),
    ]);
    const pool = new ModemPool(modems.map((m) => m.member));
    const result = await pool.send(message('nowhere', '+491709990650', 25));
    expect(result.sent).toEqual([]);
    expect(result.failure).toMatchObject({ part: 1, outcome: 'failed', error: { code: 'GW_ERR_MODEM_SEND_FAILED' } });
    expect(modems.map((m) => m.driver.status.counters.sendFailed)).toEqual([1, 1]); // each tried once
  }, 20_000);

  it('never moves a message of which a part left, even when a later part was refused', async () => {
    const network = await startNetwork();
    const [first, other] = await Promise.all([
      startModem(network, 'first', '+491700000081', { sim: { cmgsLatencyMs: 300 } }),
      startModem(network, 'other', '+491700000082'),
    ]);
    const pool = new ModemPool([first!.member, other!.member]);
    const to = '+491709990700';
    const inbox = await startRecordingDevice(network, to);
    const sending = pool.send(message('partial', to, 400, 21));
    await expect.poll(() => first!.sim.stats.smsSubmitted, { timeout: 3000 }).toBe(1); // part 1 is with the network
    first!.sim.setRegistration('denied'); // part 2 gets +CMS ERROR: 331
    const result = await sending;
    expect(result.modem).toBe('first');
    expect(result.sent.map((s) => s.part)).toEqual([1]);
    expect(result.failure).toMatchObject({ part: 2, outcome: 'failed' });
    await sleep(300);
    expect(other!.sim.stats.smsSubmitted).toBe(0);
    expect(other!.driver.status.counters.sent).toBe(0);
    await expect.poll(() => inbox.length, { timeout: 5000 }).toBe(1);
    expect(inbox[0]).toMatchObject({ originator: digits(first!.sim.msisdn), reference: 21, sequence: 1 });
  }, 20_000);

  it('never resends a message whose outcome is unknown (reboot during the send) on another modem', async () => {
    const network = await startNetwork();
    const [rebooting, other] = await Promise.all([
      startModem(network, 'rebooting', '+491700000091', { sim: { cmgsLatencyMs: 500 } }),
      startModem(network, 'other', '+491700000092'),
    ]);
    const pool = new ModemPool([rebooting!.member, other!.member]);
    const to = '+491709990800';
    const inbox = await startRecordingDevice(network, to);
    const sending = pool.send(message('unknown-1', to, 30));
    await expect.poll(() => rebooting!.sim.stats.smsSubmitted, { timeout: 3000 }).toBe(1); // the PDU reached the modem
    await sleep(100); // the PDU is written, the answer pending
    rebooting!.sim.reboot();
    const result: SendResult = await sending;
    expect(result.modem).toBe('rebooting');
    expect(result.sent).toEqual([]);
    expect(result.failure).toMatchObject({ part: 1, outcome: 'unknown', error: { code: 'GW_ERR_MODEM_SEND_UNKNOWN' } });
    await sleep(300);
    expect(other!.sim.stats.smsSubmitted).toBe(0);
    expect(other!.driver.status.counters.sent).toBe(0);
    // The SMS did leave (the network had it before the reboot): exactly once, from the first modem.
    await expect.poll(() => inbox.length, { timeout: 5000 }).toBe(1);
    await sleep(200);
    expect(inbox.map((r) => r.originator)).toEqual([digits(rebooting!.sim.msisdn)]);
  }, 20_000);
});

describe('ModemPool: no modem', () => {
  it('rejects with GW_ERR_POOL_NO_MODEM naming the group when no modem of the route can send', async () => {
    const network = await startNetwork();
    const [germanFailed, french] = await Promise.all([
      startModem(network, 'de-1', '+491700000101', { groups: ['de'], sim: { pin: '4711' }, config: { pin: '0000' }, waitFor: 'failed' }),
      startModem(network, 'fr-1', '+33600000102', { groups: ['fr'] }),
    ]);
    const routes = [{ prefix: '+49', group: 'de' }, { prefix: '+33', group: 'fr' }, { prefix: '+44', group: 'uk' }];
    const pool = new ModemPool([germanFailed!.member, french!.member], { routes });

    // Group 'de' has a modem, but it is failed; the ready French modem is not of the group.
    await expect(pool.send(message('de', '+491519990900', 20))).rejects.toMatchObject({
      code: 'GW_ERR_POOL_NO_MODEM', details: { group: 'de' }, message: expect.stringContaining('"de"'),
    });
    // Group 'uk' has no modem at all.
    await expect(pool.send(message('uk', '+447700900901', 20))).rejects.toMatchObject({
      code: 'GW_ERR_POOL_NO_MODEM', details: { group: 'uk' }, message: expect.stringContaining('"uk"'),
    });
    expect(french!.sim.stats.smsSubmitted).toBe(0);
    // The French route still works; an unmatched number may use any modem that is ready.
    await startDevice(network, '+33612340902');
    await expect(pool.send(message('fr', '+33612340902', 20))).resolves.toMatchObject({ modem: 'fr-1', failure: null });
    await startDevice(network, '+15550100903');
    await expect(pool.send(message('us', '+15550100903', 20))).resolves.toMatchObject({ modem: 'fr-1', failure: null });

    // A pool without routes and without a ready modem: no group to name.
    const empty = new ModemPool([germanFailed!.member]);
    await expect(empty.send(message('any', '+15550100904', 20))).rejects.toMatchObject({ code: 'GW_ERR_POOL_NO_MODEM', details: { group: null } });
  }, 20_000);
});

describe('ModemPool: rate limit', () => {
  it('keeps a modem to maxPartsPerSec: a burst, then the long-run rate', async () => {
    const network = await startNetwork();
    const modem = await startModem(network, 'limited', '+491700000111');
    const to = '+491709991000';
    const inbox = await startRecordingDevice(network, to);
    const sendTen = async (pool: ModemPool, tag: string): Promise<{ elapsedMs: number; sentAt: number[]; startedAt: number }> => {
      const startedAt = Date.now();
      const results = await Promise.all(Array.from({ length: 10 }, (_, n) => pool.send(message(`${tag}-${n}`, to, 20))));
      const elapsedMs = Date.now() - startedAt;
      expect(results.every((r) => r.failure === null && r.modem === 'limited')).toBe(true);
      return { elapsedMs, startedAt, sentAt: results.map((r) => r.sent[0]!.sentAtMs).sort((a, b) => a - b) };
    };

    const unlimited = await sendTen(new ModemPool([{ ...modem.member, maxPartsPerSec: 0 }]), 'free');
    const limited = await sendTen(new ModemPool([{ ...modem.member, maxPartsPerSec: 5 }]), 'limited');

    // Burst of 5, then 5 more at 5/s: the tenth part cannot leave before ~1 s after the start.
    expect(limited.elapsedMs).toBeGreaterThanOrEqual(900);
    expect(limited.sentAt[9]! - limited.startedAt).toBeGreaterThanOrEqual(900);
    // The first five went out as a burst, well before the rate would have allowed (800 ms).
    expect(limited.sentAt[4]! - limited.startedAt).toBeLessThan(limited.sentAt[9]! - limited.startedAt - 500);
    // Without the limit the same ten messages take much less.
    expect(unlimited.elapsedMs).toBeLessThan(limited.elapsedMs - 400);
    expect(modem.sim.stats.smsSubmitted).toBe(20);
    await expect.poll(() => inbox.length, { timeout: 5000 }).toBe(20);
  }, 20_000);
});
