/**
 * The report of bench/modem-receive.ts: its types, the Markdown tables (console and
 * docs/benchmarks.md) and the results entry (latest run and history row).
 */
import { runResults, type ResultsEntry, type RunFacts } from './results-doc.ts';

/** Parameters of one run. */
export interface ReceiveOptions {
  readonly sms: number;
  readonly rounds: number;
  /** Rounds of each route (and Kannel) run first and not counted. */
  readonly warmup: number;
  readonly send: number;
  readonly cmgsLatencyMs: number;
  readonly linkSetupMs: number;
}

/**
 * The receive routes measured: `stored` (`+CMTI`, `AT+CMGR` and `AT+CMGD` per SMS, the
 * baseline), `stored-batch` (`+CMTI`, one `AT+CMGL=0` and one `AT+CMGD=<i>,1` per batch),
 * `direct` (`receiveRoute: direct`: `+CMT`, `AT+CNMA` after persisting, never switched) and
 * `default` (the default configuration, `receiveRoute: auto`: direct, switched to the stored
 * route in batches once SMS come back to back).
 */
export type ReceiveRoute = 'stored' | 'stored-batch' | 'direct' | 'default';

/** The routes in the order their rounds run (and rows appear). */
export const RECEIVE_ROUTES: readonly ReceiveRoute[] = ['stored', 'stored-batch', 'direct', 'default'];

/** One route's figures (best round, median beside it). */
export interface RouteRow {
  readonly route: ReceiveRoute;
  readonly smsPerSec: number;
  readonly medianSmsPerSec: number;
  /** AT commands the gateway wrote per received SMS (best round). */
  readonly atCommandsPerSms: number;
  /** AT commands per received SMS over every measured round (the bests' spread aside). */
  readonly meanAtCommandsPerSms: number;
  /** Redis round trips of the inbox per received SMS (best round). */
  readonly redisRoundTripsPerSms: number;
  /** Entries in the `messages` stream after each round (each must be `sms`). */
  readonly storedCounts: readonly number[];
}

/**
 * Where one direct-route SMS's time goes, µs, medians over every SMS of the measured rounds:
 * the loop is about `persistUs` + `restUs`.
 */
export interface DirectStages {
  /** The inbox write: decode, script, Redis round trip (persist called → resolved). */
  readonly persistUs: number;
  /**
   * Persisted → the next SMS handed to the inbox: `AT+CNMA` written, over the pty to the modem,
   * its acknowledgement to the network, the next delivery, `+CMT` over the pty, framing, parsing.
   */
  readonly restUs: number;
  /** Kannel's rounds, for comparison: one network acknowledgement to the next (the modem acks at once). */
  readonly kannelAckToAckUs: number | null;
  /** The stored route in batches, medians over its rounds, ms: the whole round (first submit → all persisted and deleted). */
  readonly batchRoundMs: number;
  /** …and the simulated network's first acknowledgement to its last (the modem acks as it stores). */
  readonly batchDeliveryMs: number;
}

/** One send case. */
export interface SendRow {
  readonly cmms: boolean;
  readonly smsPerSec: number;
  readonly relayLinkSetups: number;
  readonly failures: number;
}

/** What the benchmark prints as its last line. */
export interface ReceiveReport extends RunFacts {
  readonly bench: 'modem-receive';
  readonly options: ReceiveOptions;
  /** One row per route, in {@link RECEIVE_ROUTES} order. */
  readonly receive: readonly RouteRow[];
  /** direct SMS/s ÷ stored SMS/s, medians (steadier than the bests on a busy machine). */
  readonly directSpeedup: number;
  /** stored-batch SMS/s ÷ stored SMS/s, medians. */
  readonly batchSpeedup: number;
  /**
   * Kannel's bearerbox on the same simulated modem, rounds alternating with ours (null where
   * Kannel is not installed): SMS/s from the first submit until bearerbox counts every SMS received.
   */
  readonly kannel: { readonly smsPerSec: number; readonly medianSmsPerSec: number; readonly receivedCounts: readonly number[] } | null;
  /** Our direct route ÷ Kannel, medians. */
  readonly directVsKannel: number | null;
  /** Our stored route read in batches ÷ Kannel, medians. */
  readonly batchVsKannel: number | null;
  /** Our default configuration (adaptive route) ÷ Kannel, medians (the target: ≥ 1). */
  readonly defaultVsKannel: number | null;
  /** Where a direct-route SMS's time goes. */
  readonly directStages: DirectStages;
  readonly sending: readonly SendRow[];
  /** Nothing lost or duplicated on any route, and every send succeeded. */
  readonly pass: boolean;
}

const ROUTE_LABEL: Readonly<Record<ReceiveRoute, string>> = {
  stored: 'stored, one SMS at a time (baseline: `AT+CMGR`, `AT+CMGD`)',
  'stored-batch': 'stored, in batches (`AT+CMGL=0`, `AT+CMGD=<i>,1`)',
  direct: 'direct only (`receiveRoute: direct`: `+CMT`, `AT+CNMA`)',
  default: '**default** (`receiveRoute: auto`: direct, stored in batches during a burst)',
};

const rowOf = (report: ReceiveReport, route: ReceiveRoute): RouteRow | undefined => report.receive.find((r) => r.route === route);

/** The figures as Markdown tables (console and docs/benchmarks.md). */
export function receiveTables(report: ReceiveReport): string {
  const receive = [
    '| route | SMS/s (best) | SMS/s (median) | AT commands/SMS (best round; all rounds) | Redis round trips/SMS | in Redis per round |',
    '|---|---:|---:|---:|---:|---|',
    ...report.receive.map((r) => `| ${ROUTE_LABEL[r.route]} | ${r.smsPerSec.toFixed(1)} | ${r.medianSmsPerSec.toFixed(1)} | ${r.atCommandsPerSms.toFixed(2)}; ${r.meanAtCommandsPerSms.toFixed(2)} | ${r.redisRoundTripsPerSms.toFixed(2)} | ${r.storedCounts.join(', ')} of ${report.options.sms} |`),
    ...(report.kannel === null ? [] : [`| Kannel bearerbox (at2: +CMT, no CNMA; received = in its spool) | ${report.kannel.smsPerSec.toFixed(1)} | ${report.kannel.medianSmsPerSec.toFixed(1)} | – | – | ${report.kannel.receivedCounts.join(', ')} of ${report.options.sms} received |`]),
  ];
  const st = report.directStages;
  const stages = [
    '| direct route, per SMS (median) | µs |',
    '|---|---:|',
    `| inbox write (decode, script, Redis round trip) | ${st.persistUs} |`,
    `| persisted → next SMS handed to the inbox (\`AT+CNMA\` over the pty, modem, network, next \`+CMT\` over the pty, framing, parsing) | ${st.restUs} |`,
    `| loop (sum) | ${st.persistUs + st.restUs} |`,
    ...(st.kannelAckToAckUs === null ? [] : [`| Kannel rounds: one network acknowledgement to the next | ${st.kannelAckToAckUs} |`]),
  ];
  const batch = [
    '| stored route in batches, per round (median) | ms |',
    '|---|---:|',
    `| first submit → every SMS persisted and deleted | ${st.batchRoundMs} |`,
    `| the network's first acknowledgement → its last (the modem acknowledges as it stores) | ${st.batchDeliveryMs} |`,
  ];
  const sending = [
    '| AT+CMMS=1 | SMS/s | relay links set up | failures |',
    '|---|---:|---:|---:|',
    ...report.sending.map((s) => `| ${s.cmms ? 'yes' : 'no'} | ${s.smsPerSec.toFixed(1)} | ${s.relayLinkSetups} of ${report.options.send} | ${s.failures} |`),
  ];
  return [...receive, '', ...stages, '', ...batch, '', ...sending].join('\n');
}

/** The one-line summary the console prints under the tables. */
export function receiveSummary(report: ReceiveReport): string {
  const kannel = report.kannel === null ? 'Kannel not installed' : `default ÷ Kannel ${report.defaultVsKannel}, batch ÷ Kannel ${report.batchVsKannel}, direct ÷ Kannel ${report.directVsKannel}`;
  return `medians: batch ÷ stored ${report.batchSpeedup}, direct ÷ stored ${report.directSpeedup}; ${kannel}; ${report.pass ? 'PASS' : 'FAIL'}`;
}

/** The report as docs/benchmarks.md shows it. */
export function receiveResults(report: ReceiveReport): ResultsEntry {
  const o = report.options;
  const summary = `${o.sms} SMS back to back per round, `
      + `${o.rounds} rounds per route after ${o.warmup} warm-up round(s) not counted (alternating, a fresh modem each); sending: ${o.send} SMS queued at once, `
      + `+CMGS latency ${o.cmgsLatencyMs} ms, relay link set-up ${o.linkSetupMs} ms. Medians: batch ÷ stored ${report.batchSpeedup}, direct ÷ stored ${report.directSpeedup}. `
      + (report.kannel === null ? 'Kannel not installed here. ' : `Against Kannel (medians, same modem, rounds alternating): default ÷ Kannel ${report.defaultVsKannel}, batch ÷ Kannel ${report.batchVsKannel}, direct ÷ Kannel ${report.directVsKannel}. `)
      + `${report.pass ? '**pass**' : '**FAIL**'} (nothing lost or duplicated, every send succeeded).`;
  const stored = rowOf(report, 'stored');
  const batch = rowOf(report, 'stored-batch');
  const direct = rowOf(report, 'direct');
  const standard = rowOf(report, 'default');
  const [plain, cmms] = report.sending;
  const kannel = report.kannel === null ? '' : `; Kannel ${report.kannel.smsPerSec} (median ${report.kannel.medianSmsPerSec}; default ÷ Kannel ${report.defaultVsKannel}, batch ÷ Kannel ${report.batchVsKannel}, direct ÷ Kannel ${report.directVsKannel})`;
  return runResults(report, {
    summary,
    body: receiveTables(report),
    figures: `receive stored ${stored?.smsPerSec} / batch ${batch?.smsPerSec} (median ${batch?.medianSmsPerSec}) / direct ${direct?.smsPerSec} / default ${standard?.smsPerSec} (median ${standard?.medianSmsPerSec}) SMS/s (${stored?.atCommandsPerSms} / ${batch?.meanAtCommandsPerSms} / ${direct?.atCommandsPerSms} / ${standard?.meanAtCommandsPerSms} AT/SMS)${kannel}; send ${plain?.smsPerSec} / CMMS ${cmms?.smsPerSec} SMS/s`,
    outcome: report.pass ? 'pass' : 'FAIL',
  });
}
