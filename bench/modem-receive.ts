/**
 * Benchmark `modem-receive`: how fast SMS get from one simulated modem into Redis, by route, and
 * what `AT+CMMS=1` saves when sending.
 *
 * Receive: a simulated device submits `--sms` SMS back to back to the modem's number; the
 * simulated network delivers them one after another, each as soon as the modem acknowledged the
 * previous one. The driver persists each into a private Redis (the inbox), then deletes it
 * (stored route: `+CMTI`, `AT+CMGR`, `AT+CMGD`; stored route in batches: `+CMTI`, one
 * `AT+CMGL=0` for every unread SMS, one `AT+CMGD=<i>,1`) or acknowledges it (direct route:
 * `+CMT`, `AT+CNMA`). The `default` row is the default configuration (`receiveRoute: auto`):
 * direct delivery until SMS come back to back, then the stored route in batches. Timed from the first submit until every SMS is persisted and the modem holds
 * none any more (deleted, or acknowledged); then the `messages` stream
 * must hold exactly `--sms` entries (nothing lost, nothing twice). The stored route in the same
 * run is the baseline. Rounds alternate the routes, each on a fresh modem; best and median.
 *
 * Send: `--send` SMS queued at once on one modem whose network needs `--link-setup` ms to set up
 * the relay link for a submit that finds none up (TS 24.011), on top of `--cmgs-latency`; with
 * `AT+CMMS=1` (TS 27.005 §3.5.6) the link stays up between them.
 *
 * Before the measured rounds, `--warmup` rounds of each route (and of Kannel) run and are not
 * counted: a gateway runs for months, so its steady state (code optimised by V8) is what is
 * compared with Kannel's C code, not its first milliseconds. Per SMS of the direct route the
 * loop is split into stages (medians over the measured rounds): the inbox write (decode, script,
 * Redis round trip) and the rest (`AT+CNMA` through the pty to the modem, the network, the next
 * `+CMT` back, the driver's framing and parsing). AT commands are counted by the modem (no trace
 * listener on the measured path).
 *
 * The receive rounds' simulator (network, modem, sending device) runs in a process of its own
 * (bench/support/receive-sim-host.ts), so that neither system under test shares an event loop
 * with it: our driver and Redis client run in this process, bearerbox in its own, both on the
 * modem's real pseudo-terminal (until 2026-12-06 23:40 the simulator ran in this process, beside
 * our driver but apart from bearerbox). The send cases run in this process. Redis is real. Usage: `npm run bench:modem-receive [-- --write-docs]`, or
 * `tsx bench/modem-receive.ts [--sms 60] [--rounds 3] [--warmup 1] [--send 20] [--cmgs-latency 5] [--link-setup 50]`.
 * Prints a table, then as its LAST line one JSON object (ReceiveReport, bench/support/receive-report.ts). Exit code 1 when
 * an SMS was lost or duplicated or a send failed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RedisInbox } from '../src/inbox/redis-inbox.ts';
import { ModemDriver } from '../src/modem/modem-driver.ts';
import { ModemPool } from '../src/modem/modem-pool.ts';
import { MODEM_CONFIG_DEFAULTS, type SendRequest } from '../src/modem/modem-types.ts';
import { GENERIC_PROFILE, type ModemProfile } from '../src/modem/profile.ts';
import { SimModem } from '../src/sim/modem/index.ts';
import { SimNetwork } from '../src/sim/network/sim-network.ts';
import { startPrivateRedis } from '../src/sim/private-redis.ts';
import { splitIntoSubmitPdus } from '../src/sms/index.ts';
import { runIfMain } from './support/entry.ts';
import { startJsonChild, type JsonChild } from './support/json-child.ts';
import { kannelAvailable, startKannelReceiver } from './support/kannel-receiver.ts';
import { describeMachine, formatMachine, loadAverageWindow } from './support/machine.ts';
import { median, round } from './support/numbers.ts';
import { RECEIVE_ROUTES, receiveSummary, receiveTables, type DirectStages, type ReceiveOptions, type ReceiveReport, type ReceiveRoute, type RouteRow, type SendRow } from './support/receive-report.ts';

export { receiveResults, receiveTables, type ReceiveReport } from './support/receive-report.ts';

const DEFAULTS: ReceiveOptions = { sms: 60, rounds: 3, warmup: 1, send: 20, cmgsLatencyMs: 5, linkSetupMs: 50 };
const QUIET_MS = 3_600_000;
/** The receive rounds' simulator process (run with this process's loader, tsx). */
const RECEIVE_SIM_HOST = fileURLToPath(new URL('./support/receive-sim-host.ts', import.meta.url));
const GATEWAY = '+491700000001';

/**
 * The routes under test: the generic profile with direct delivery on or off, the configured
 * route, and how the stored route reads. `default` is the default configuration as shipped.
 */
const ROUTE_SETUP: Record<ReceiveRoute, { profile: ModemProfile; receiveRoute: 'auto' | 'direct'; storedRead: 'batch' | 'single' }> = {
  direct: { profile: { ...GENERIC_PROFILE, name: 'bench-direct', match: {} }, receiveRoute: 'direct', storedRead: 'single' },
  stored: { profile: { ...GENERIC_PROFILE, name: 'bench-stored', match: {}, directDelivery: false }, receiveRoute: 'auto', storedRead: 'single' },
  'stored-batch': { profile: { ...GENERIC_PROFILE, name: 'bench-stored', match: {}, directDelivery: false }, receiveRoute: 'auto', storedRead: 'batch' },
  default: { profile: { ...GENERIC_PROFILE, name: 'bench-default', match: {} }, receiveRoute: MODEM_CONFIG_DEFAULTS.receiveRoute, storedRead: MODEM_CONFIG_DEFAULTS.storedRead },
};

interface Env {
  /** The receive rounds' simulator (network, modems, sending device) in its own process. */
  readonly sim: JsonChild;
  /** The send cases' network, in this process. */
  readonly network: SimNetwork;
  readonly redis: Redis;
  readonly dir: string;
}

/** A fresh simulated modem and a ready driver on it. */
async function startModem(env: Env, tag: string, profile: ModemProfile, persist: ConstructorParameters<typeof ModemDriver>[1]['persist'], sim: { cmgsLatencyMs?: number; relayLinkSetupMs?: number } = {}): Promise<{ modem: SimModem; driver: ModemDriver }> {
  const modem = await SimModem.start({
    msisdn: GATEWAY, registerDelayMs: 0, network: env.network.address, linkPath: join(env.dir, `tty-${tag}`), cmmsHoldMs: 5000, ...sim,
  });
  const driver = new ModemDriver(
    { ...MODEM_CONFIG_DEFAULTS, name: tag, path: modem.linkPath, profile: profile.name, watchdogIntervalMs: QUIET_MS, sweepIntervalMs: QUIET_MS },
    { profiles: [profile], persist },
  );
  driver.start();
  await driver.waitFor('ready', 30_000);
  await driver.sweep();
  return { modem, driver };
}

interface ReceiveRound {
  readonly smsPerSec: number;
  readonly atCommands: number;
  readonly roundTrips: number;
  readonly stored: number;
  /** Per SMS, ms: persist duration; persisted → the next persist call (the rest of the loop). */
  readonly stages: { persist: number[]; rest: number[] };
  /** ms: the whole round; the network's first acknowledgement to its last (the simulator's share). */
  readonly roundMs: number;
  readonly deliveryMs: number;
}

/** A fresh simulated modem in the simulator process and a ready driver on it. */
async function startRemoteModem(env: Env, tag: string, route: ReceiveRoute, persist: ConstructorParameters<typeof ModemDriver>[1]['persist']): Promise<ModemDriver> {
  const { linkPath } = await env.sim.ask({ op: 'start-modem', tag, msisdn: GATEWAY });
  const { profile, receiveRoute, storedRead } = ROUTE_SETUP[route];
  const driver = new ModemDriver(
    { ...MODEM_CONFIG_DEFAULTS, name: tag, path: String(linkPath), profile: profile.name, receiveRoute, storedRead, watchdogIntervalMs: QUIET_MS, sweepIntervalMs: QUIET_MS },
    { profiles: [profile], persist },
  );
  driver.start();
  await driver.waitFor('ready', 30_000);
  await driver.sweep();
  return driver;
}

async function receiveRound(env: Env, route: ReceiveRoute, index: number, options: ReceiveOptions): Promise<ReceiveRound> {
  const inbox = new RedisInbox(env.redis, { prefix: `bench:${route}:${index}:` });
  const tag = `${route}-${index}`;
  let persisted = 0;
  let allPersisted: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allPersisted = resolve));
  const stages: ReceiveRound['stages'] = { persist: [], rest: [] };
  let persistedAt = -1;
  const driver = await startRemoteModem(env, tag, route, async (pdu) => {
    const calledAt = performance.now();
    if (persistedAt >= 0) stages.rest.push(calledAt - persistedAt);
    await inbox.accept(pdu);
    persistedAt = performance.now();
    stages.persist.push(persistedAt - calledAt);
    persisted += 1;
    if (persisted === options.sms) allPersisted();
  });
  try {
    const expected = route === 'direct' || route === 'default' ? 'direct' : 'stored';
    if (driver.status.receiveRoute !== expected) throw new Error(`${route} round got the ${driver.status.receiveRoute} route`);
    const commandLinesBefore = Number((await env.sim.ask({ op: 'state', tag })).commandLines);
    const startedAt = performance.now();
    const burst = env.sim.ask({ op: 'burst', tag, sender: `+4917011${String(index).padStart(5, '0')}`, sms: options.sms, seed: index });
    await done;
    await burst; // answered once the submits are sent; their results are checked after the timing, as in Kannel's rounds
    // Finished means the modem holds nothing more: deleted (stored route) or acknowledged (direct).
    // Polled as Kannel's rounds poll bearerbox: at once, then every millisecond until done.
    let state = await env.sim.ask({ op: 'state', tag });
    while (state.idle !== true) {
      await new Promise((r) => setTimeout(r, 1));
      state = await env.sim.ask({ op: 'state', tag });
    }
    const seconds = (performance.now() - startedAt) / 1000;
    if ((await env.sim.ask({ op: 'burst-result', tag })).ok !== true) throw new Error('the network refused a submit');
    const atCommands = Number(state.commandLines) - commandLinesBefore;
    const stored = Number(await env.redis.xlen(inbox.messagesKey));
    const { ackToAckMs } = await env.sim.ask({ op: 'acks' });
    const deliveryMs = Array.isArray(ackToAckMs) ? ackToAckMs.reduce((sum: number, gap) => sum + Number(gap), 0) : 0;
    return { smsPerSec: options.sms / seconds, atCommands, roundTrips: inbox.writeStats.roundTrips, stored, stages, roundMs: seconds * 1000, deliveryMs };
  } finally {
    await driver.stop();
    await env.sim.ask({ op: 'stop-modem', tag });
  }
}

/** One Kannel round: bearerbox on a fresh simulated modem, `options.sms` SMS back to back. */
async function kannelRound(env: Env, index: number, options: ReceiveOptions): Promise<{ smsPerSec: number; received: number; ackToAck: number[] }> {
  const tag = `kannel-${index}`;
  const { linkPath } = await env.sim.ask({ op: 'start-modem', tag, msisdn: GATEWAY });
  const kannel = await startKannelReceiver(join(env.dir, `kannel-${index}`), String(linkPath), GATEWAY, 13_900 + 2 * (index % 40));
  try {
    const before = await kannel.received();
    const startedAt = performance.now();
    const burst = env.sim.ask({ op: 'burst', tag, sender: `+4917012${String(index).padStart(5, '0')}`, sms: options.sms, seed: index });
    let received = 0;
    for (let polls = 0; received < options.sms && polls < 20_000; polls++) {
      received = (await kannel.received()) - before;
      if (received < options.sms) await new Promise((r) => setTimeout(r, 1));
    }
    const smsPerSec = received / ((performance.now() - startedAt) / 1000);
    await burst;
    if ((await env.sim.ask({ op: 'burst-result', tag })).ok !== true) throw new Error('the network refused a submit');
    const { ackToAckMs } = await env.sim.ask({ op: 'acks' });
    return { smsPerSec, received, ackToAck: Array.isArray(ackToAckMs) ? ackToAckMs.map(Number) : [] };
  } finally {
    await kannel.stop();
    await env.sim.ask({ op: 'stop-modem', tag });
  }
}

async function sendCase(env: Env, cmms: boolean, options: ReceiveOptions): Promise<SendRow> {
  const profile: ModemProfile = { ...GENERIC_PROFILE, name: cmms ? 'bench-cmms' : 'bench-no-cmms', match: {}, moreMessagesToSend: cmms };
  const { modem, driver } = await startModem(env, cmms ? 'send-cmms' : 'send-plain', profile, async () => undefined, {
    cmgsLatencyMs: options.cmgsLatencyMs, relayLinkSetupMs: options.linkSetupMs,
  });
  try {
    const pool = new ModemPool([{ driver, groups: [], maxPartsPerSec: 0 }]);
    const requests: SendRequest[] = Array.from({ length: options.send }, (_, i) => {
      const to = `+49159000${String(i).padStart(2, '0')}`;
      return { messageId: `s${i}`, recipient: to, parts: splitIntoSubmitPdus({ destination: to, payload: { data: Uint8Array.of(i, 1, 2, 3) } }) };
    });
    const before = modem.stats.relayLinkSetups;
    const startedAt = performance.now();
    const results = await Promise.all(requests.map((r) => pool.send(r).catch(() => null)));
    const seconds = (performance.now() - startedAt) / 1000;
    return {
      cmms, smsPerSec: round(options.send / seconds, 1), relayLinkSetups: modem.stats.relayLinkSetups - before,
      failures: results.filter((r) => r === null || r.failure !== null).length,
    };
  } finally {
    await driver.stop();
    await modem.stop();
  }
}

/** Runs the receive rounds (alternating routes) and the two send cases. */
export async function runModemReceive(options: ReceiveOptions = DEFAULTS): Promise<ReceiveReport> {
  const date = new Date().toISOString();
  const loadWindow = loadAverageWindow();
  const server = await startPrivateRedis();
  const redis = new Redis(server.url);
  const network = await SimNetwork.start({ deliveryDelayMs: 0, retryIntervalMs: 200 });
  const dir = await mkdtemp(join(tmpdir(), 'smsbridge-bench-receive-'));
  const sim = await startJsonChild(RECEIVE_SIM_HOST, [dir]);
  const env: Env = { sim, network, redis, dir };
  try {
    const rounds: Record<ReceiveRoute, ReceiveRound[]> = { stored: [], 'stored-batch': [], direct: [], default: [] };
    const kannelRounds: { smsPerSec: number; received: number; ackToAck: number[] }[] = [];
    for (let i = 0; i < options.warmup + options.rounds; i++) {
      const counted = i >= options.warmup;
      const label = counted ? `round ${i - options.warmup + 1}` : `warm-up ${i + 1}`;
      for (const route of RECEIVE_ROUTES) {
        const result = await receiveRound(env, route, i, options);
        if (counted) rounds[route].push(result);
        process.stderr.write(`  ${route} ${label}: ${result.smsPerSec.toFixed(1)} SMS/s, ${result.stored} stored\n`);
      }
      if (kannelAvailable()) {
        const result = await kannelRound(env, i, options);
        if (counted) kannelRounds.push(result);
        process.stderr.write(`  kannel ${label}: ${result.smsPerSec.toFixed(1)} SMS/s, ${result.received} received\n`);
      }
    }
    const us = (ms: number): number => Math.round(ms * 1000);
    const directStages: DirectStages = {
      persistUs: us(median(rounds.direct.flatMap((r) => r.stages.persist))),
      restUs: us(median(rounds.direct.flatMap((r) => r.stages.rest))),
      kannelAckToAckUs: kannelRounds.length === 0 ? null : us(median(kannelRounds.flatMap((r) => r.ackToAck))),
      batchRoundMs: round(median(rounds['stored-batch'].map((r) => r.roundMs)), 1),
      batchDeliveryMs: round(median(rounds['stored-batch'].map((r) => r.deliveryMs)), 1),
    };
    const kannelSorted = [...kannelRounds].sort((a, b) => b.smsPerSec - a.smsPerSec);
    const kannel = kannelSorted.length === 0 ? null : {
      smsPerSec: round(kannelSorted[0]!.smsPerSec, 1), medianSmsPerSec: round(kannelSorted[Math.floor((kannelSorted.length - 1) / 2)]!.smsPerSec, 1),
      receivedCounts: kannelRounds.map((r) => r.received),
    };
    const receive = RECEIVE_ROUTES.map((route): RouteRow => {
      const sorted = [...rounds[route]].sort((a, b) => b.smsPerSec - a.smsPerSec);
      const best = sorted[0];
      if (best === undefined) throw new RangeError('"--rounds" must be at least 1');
      const allCommands = rounds[route].reduce((sum, r) => sum + r.atCommands, 0);
      return {
        route, smsPerSec: round(best.smsPerSec, 1), medianSmsPerSec: round(sorted[Math.floor((sorted.length - 1) / 2)]?.smsPerSec ?? 0, 1),
        atCommandsPerSms: round(best.atCommands / options.sms, 2), meanAtCommandsPerSms: round(allCommands / (options.sms * rounds[route].length), 2),
        redisRoundTripsPerSms: round(best.roundTrips / options.sms, 2), storedCounts: rounds[route].map((r) => r.stored),
      };
    });
    const sending = [await sendCase(env, false, options), await sendCase(env, true, options)];
    const medianOf = (route: ReceiveRoute): number => receive.find((r) => r.route === route)?.medianSmsPerSec ?? 0;
    const pass = receive.every((row) => row.storedCounts.every((n) => n === options.sms)) && sending.every((row) => row.failures === 0);
    const vsKannel = (route: ReceiveRoute): number | null => (kannel === null ? null : round(medianOf(route) / kannel.medianSmsPerSec, 2));
    return {
      bench: 'modem-receive', date, machine: formatMachine(describeMachine()), loadAverage: loadWindow(), options, receive,
      directSpeedup: round(medianOf('direct') / medianOf('stored'), 2), batchSpeedup: round(medianOf('stored-batch') / medianOf('stored'), 2), sending, pass,
      kannel, directVsKannel: vsKannel('direct'), batchVsKannel: vsKannel('stored-batch'), defaultVsKannel: vsKannel('default'), directStages,
    };
  } finally {
    redis.disconnect();
    await sim.stop();
    await network.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function parseOptions(argv: readonly string[]): ReceiveOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: { sms: { type: 'string' }, rounds: { type: 'string' }, warmup: { type: 'string' }, send: { type: 'string' }, 'cmgs-latency': { type: 'string' }, 'link-setup': { type: 'string' } },
  });
  const number = (text: string | undefined, fallback: number, name: string, min: number): number => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(value) || value < min) throw new RangeError(`"--${name}" must be an integer ≥ ${min}: ${text}`);
    return value;
  };
  return {
    sms: number(values.sms, DEFAULTS.sms, 'sms', 1), rounds: number(values.rounds, DEFAULTS.rounds, 'rounds', 1),
    warmup: number(values.warmup, DEFAULTS.warmup, 'warmup', 0),
    send: number(values.send, DEFAULTS.send, 'send', 2), cmgsLatencyMs: number(values['cmgs-latency'], DEFAULTS.cmgsLatencyMs, 'cmgs-latency', 0),
    linkSetupMs: number(values['link-setup'], DEFAULTS.linkSetupMs, 'link-setup', 0),
  };
}

async function main(): Promise<void> {
  const report = await runModemReceive(parseOptions(process.argv.slice(2)));
  console.log(`modem-receive: ${report.machine}; ${report.date}; load ${report.loadAverage.join(' → ')}`);
  console.log(receiveTables(report));
  console.log(receiveSummary(report));
  console.log(JSON.stringify(report));
  if (!report.pass) process.exitCode = 1;
}

runIfMain(import.meta.url, main);
