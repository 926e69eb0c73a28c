/**
 * Benchmark `outbound-cmms`: what `AT+CMMS=1` (TS 27.005 §3.5.6, keep the relay link up between
 * messages) is worth on the gateway's own send path, where every SMS is a job of the outbound
 * queue (BullMQ on a private Redis) handed to the modem pool one per modem at a time.
 *
 * One simulated modem on a real pseudo-terminal, whose simulated network needs `--link-setup` ms
 * to set up the relay link for a submit that finds none up (and keeps it 5 s after a result while
 * `AT+CMMS=1` holds), and answers each `AT+CMGS` after `--cmgs-latency` ms. The queue and its
 * worker are wired as in the gateway (one slot per modem, the worker knows the local queue).
 * Each round queues `--send` SMS at once through `OutboundSmsQueue.sender('bulk')`, then one lone
 * SMS on an idle modem, in two cases on a fresh modem each, alternating:
 *
 * - **baseline**: the worker's hint that more jobs wait is dropped before the pool (the gateway
 *   before issue 10: the pool never saw a second message, so no `AT+CMMS=1` between messages);
 * - **hint**: the worker tells the pool what still waits for the modem (the gateway now).
 *
 * Usage: `npm run bench:outbound-cmms [-- --write-docs]`, or `tsx bench/outbound-cmms.ts
 * [--send 20] [--rounds 3] [--cmgs-latency 5] [--link-setup 50]`. Prints a table, then as its
 * LAST line one JSON object ({@link OutboundCmmsReport}). Exit code 1 when a send failed, the hint
 * set the link up as often as the baseline, or a lone SMS got `AT+CMMS`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { PoolSmsSender } from '../src/bridge/pool-sms-sender.ts';
import { ModemDriver } from '../src/modem/modem-driver.ts';
import { ModemPool } from '../src/modem/modem-pool.ts';
import { MODEM_CONFIG_DEFAULTS } from '../src/modem/modem-types.ts';
import { GENERIC_PROFILE } from '../src/modem/profile.ts';
import { OUTBOUND_SMS_DEFAULTS } from '../src/queue/outbound-sms-settings.ts';
import { OutboundSmsQueue } from '../src/queue/outbound-sms-queue.ts';
import { OutboundSmsWorker, type PoolMessageSender } from '../src/queue/outbound-sms-worker.ts';
import { SimModem } from '../src/sim/modem/index.ts';
import { SimNetwork } from '../src/sim/network/sim-network.ts';
import { startPrivateRedis } from '../src/sim/private-redis.ts';
import { runIfMain } from './support/entry.ts';
import { describeMachine, formatMachine, loadAverageWindow } from './support/machine.ts';
import { median, round } from './support/numbers.ts';
import { integerOption } from './support/options.ts';
import { runResults, type ResultsEntry, type RunFacts } from './support/results-doc.ts';

/** Parameters of one run. */
export interface OutboundCmmsOptions {
  /** SMS queued at once per round. */
  readonly send: number;
  readonly rounds: number;
  readonly cmgsLatencyMs: number;
  readonly linkSetupMs: number;
}

/** One case's figures: medians over the rounds. */
export interface OutboundCmmsRow {
  readonly hint: boolean;
  readonly smsPerSec: number;
  readonly relayLinkSetups: number;
  readonly cmmsCommands: number;
  /** A lone SMS on an idle modem: from the queue's add to its outcome, in ms (median). */
  readonly loneMs: number;
  /** `AT+CMMS` commands sent for the lone SMS, over all rounds (0 expected). */
  readonly loneCmms: number;
  readonly failures: number;
}

/** What the benchmark prints as its last line. */
export interface OutboundCmmsReport extends RunFacts {
  readonly bench: 'outbound-cmms';
  readonly options: OutboundCmmsOptions;
  /** Baseline first, then the hint. */
  readonly cases: readonly [OutboundCmmsRow, OutboundCmmsRow];
  readonly pass: boolean;
}

const DEFAULTS: OutboundCmmsOptions = { send: 20, rounds: 3, cmgsLatencyMs: 5, linkSetupMs: 50 };
const GATEWAY = '+491700000900';
const PREFIX = 'bench:';
/** No watchdog or sweep during a round. */
const QUIET_MS = 3_600_000;

interface Env {
  readonly network: SimNetwork;
  readonly redis: Redis;
  readonly redisUrl: string;
  readonly dir: string;
}

/** One round's figures: a row's, without the setting it ran with. */
type Round = Omit<OutboundCmmsRow, 'hint'>;

/** One round of one case on a fresh modem, queue and worker. */
async function runRound(env: Env, hint: boolean, tag: string, options: OutboundCmmsOptions): Promise<Round> {
  const modem = await SimModem.start({
    msisdn: GATEWAY, registerDelayMs: 0, network: env.network.address, linkPath: join(env.dir, `tty-${tag}`),
    cmgsLatencyMs: options.cmgsLatencyMs, relayLinkSetupMs: options.linkSetupMs, cmmsHoldMs: 5000,
  });
  const driver = new ModemDriver(
    { ...MODEM_CONFIG_DEFAULTS, name: tag, path: modem.linkPath, watchdogIntervalMs: QUIET_MS, sweepIntervalMs: QUIET_MS },
    { profiles: [GENERIC_PROFILE], persist: async () => undefined },
  );
  driver.start();
  const prefix = `${PREFIX}${tag}:`;
  const queue = new OutboundSmsQueue({ redisUrl: env.redisUrl, redisPrefix: prefix, settings: OUTBOUND_SMS_DEFAULTS });
  const real = new PoolSmsSender(new ModemPool([{ driver, groups: [], maxPartsPerSec: 0 }]), env.redis, `${prefix}concat-ref:`);
  // Baseline: the hint is dropped, as if the worker knew nothing of the jobs behind this one.
  const sender: PoolMessageSender = hint ? real : { sendMessage: (msisdn, payload, via, ports, o) => real.sendMessage(msisdn, payload, via, ports, { statusReportRequest: o.statusReportRequest }) };
  const worker = new OutboundSmsWorker({ redisUrl: env.redisUrl, redisPrefix: prefix, settings: OUTBOUND_SMS_DEFAULTS, sender, local: queue, concurrency: 1 });
  try {
    await driver.waitFor('ready', 30_000);
    await driver.sweep();
    await Promise.all([queue.ready(), worker.ready()]);
    const commands: string[] = [];
    driver.on('trace', (direction, line) => {
      if (direction === 'tx' && line.startsWith('AT+CMMS')) commands.push(line);
    });
    const bulk = queue.sender('bulk');
    const links = modem.stats.relayLinkSetups;
    const startedAt = performance.now();
    const results = await Promise.allSettled(Array.from({ length: options.send }, (_, i) => bulk.sendMessage(`49159000${String(i).padStart(3, '0')}`, { data: Uint8Array.of(i & 0xff, 1, 2, 3) })));
    const seconds = (performance.now() - startedAt) / 1000;
    const relayLinkSetups = modem.stats.relayLinkSetups - links;
    const cmmsCommands = commands.length;
    // Past the modem's hold: the lone SMS finds no link up and nothing queued behind it.
    await new Promise((r) => setTimeout(r, 5100));
    const loneStartedAt = performance.now();
    const lone = await bulk.sendMessage('49159000999', { data: Uint8Array.of(9, 9, 9) }).then(() => true, () => false);
    const loneMs = performance.now() - loneStartedAt;
    return {
      smsPerSec: options.send / seconds, relayLinkSetups, cmmsCommands, loneMs, loneCmms: commands.length - cmmsCommands,
      failures: results.filter((r) => r.status === 'rejected').length + (lone ? 0 : 1),
    };
  } finally {
    await worker.close();
    await queue.close();
    await driver.stop();
    await modem.stop();
  }
}

/** Runs the rounds of both cases, alternating. */
export async function runOutboundCmms(options: OutboundCmmsOptions = DEFAULTS): Promise<OutboundCmmsReport> {
  const date = new Date().toISOString();
  const loadWindow = loadAverageWindow();
  const server = await startPrivateRedis();
  const redis = new Redis(server.url);
  const network = await SimNetwork.start({ deliveryDelayMs: 0, retryIntervalMs: 200 });
  const dir = await mkdtemp(join(tmpdir(), 'smsbridge-bench-cmms-'));
  try {
    const env: Env = { network, redis, redisUrl: server.url, dir };
    const rounds: Record<'baseline' | 'hint', Round[]> = { baseline: [], hint: [] };
    for (let r = 0; r < options.rounds; r++) {
      rounds.baseline.push(await runRound(env, false, `plain${r}`, options));
      rounds.hint.push(await runRound(env, true, `hint${r}`, options));
    }
    const row = (hint: boolean, of: readonly Round[]): OutboundCmmsRow => ({
      hint, smsPerSec: round(median(of.map((x) => x.smsPerSec)), 1), relayLinkSetups: median(of.map((x) => x.relayLinkSetups)),
      cmmsCommands: median(of.map((x) => x.cmmsCommands)), loneMs: round(median(of.map((x) => x.loneMs)), 1),
      loneCmms: of.reduce((sum, x) => sum + x.loneCmms, 0), failures: of.reduce((sum, x) => sum + x.failures, 0),
    });
    const cases = [row(false, rounds.baseline), row(true, rounds.hint)] as const;
    const pass = cases.every((c) => c.failures === 0 && c.loneCmms === 0) && cases[1].relayLinkSetups < cases[0].relayLinkSetups;
    return { bench: 'outbound-cmms', date, machine: formatMachine(describeMachine()), loadAverage: loadWindow(), options, cases, pass };
  } finally {
    redis.disconnect();
    await network.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The figures as a Markdown table (console and docs/benchmarks.md). */
export function outboundCmmsTable(report: OutboundCmmsReport): string {
  const n = report.options.send;
  return [
    `| case | ${n} SMS queued at once: SMS/s | relay links set up | AT+CMMS sent | lone SMS: add → outcome (ms) | lone SMS: AT+CMMS | failures |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    ...report.cases.map((c) => `| ${c.hint ? 'worker tells the pool what waits' : 'baseline: no hint (before issue 10)'} | ${c.smsPerSec.toFixed(1)} | ${c.relayLinkSetups} of ${n} | ${c.cmmsCommands} | ${c.loneMs.toFixed(1)} | ${c.loneCmms} | ${c.failures} |`),
  ].join('\n');
}

/** The report as docs/benchmarks.md shows it. */
export function outboundCmmsResults(report: OutboundCmmsReport): ResultsEntry {
  const o = report.options;
  const [baseline, hint] = report.cases;
  return runResults(report, {
    summary: `${o.rounds} rounds per case (alternating, a fresh modem each), medians; `
      + `${o.send} SMS queued at once through the outbound queue, +CMGS latency ${o.cmgsLatencyMs} ms, relay link set-up ${o.linkSetupMs} ms. `
      + `${report.pass ? '**pass**' : '**FAIL**'} (every send succeeded, fewer relay links with the hint, no AT+CMMS for a lone SMS).`,
    body: outboundCmmsTable(report),
    figures: `${o.send} queued: baseline ${baseline.smsPerSec} SMS/s, ${baseline.relayLinkSetups} links / hint ${hint.smsPerSec} SMS/s, ${hint.relayLinkSetups} links; lone ${baseline.loneMs} / ${hint.loneMs} ms`,
    outcome: report.pass ? 'pass' : 'FAIL',
  });
}

function parseOptions(argv: readonly string[]): OutboundCmmsOptions {
  const { values } = parseArgs({ args: [...argv], options: { send: { type: 'string' }, rounds: { type: 'string' }, 'cmgs-latency': { type: 'string' }, 'link-setup': { type: 'string' } } });
  return {
    send: integerOption(values.send, DEFAULTS.send, 'send', 2), rounds: integerOption(values.rounds, DEFAULTS.rounds, 'rounds', 1),
    cmgsLatencyMs: integerOption(values['cmgs-latency'], DEFAULTS.cmgsLatencyMs, 'cmgs-latency', 0),
    linkSetupMs: integerOption(values['link-setup'], DEFAULTS.linkSetupMs, 'link-setup', 0),
  };
}

async function main(): Promise<void> {
  const report = await runOutboundCmms(parseOptions(process.argv.slice(2)));
  console.log(`outbound-cmms: ${report.machine}; ${report.date}; load ${report.loadAverage.join(' → ')}`);
  console.log(outboundCmmsTable(report));
  console.log(report.pass ? 'PASS' : 'FAIL');
  console.log(JSON.stringify(report));
  if (!report.pass) process.exitCode = 1;
}

runIfMain(import.meta.url, main);
