/**
 * Commands that talk to a running gateway through its admin API (docs/admin.md):
 *
 * ```
 * smsbridge status  [--url <url>] [--token-file <file>] [--timeout-sec <n>] [--json]
 * smsbridge modems  [--url …] [--json]
 * smsbridge devices [--url …] [--json]
 * smsbridge send --to <+E.164> (--text <text> | --data-hex <hex>) [--url …] [--json]
 * smsbridge queues  [--url …] [--json]
 * smsbridge wakeup <endpoint> [--wait] [--url …] [--json]   (wakeup-command.ts; see wakeupOverApi)
 * ```
 *
 * The token comes from SMSBRIDGE_TOKEN or `--token-file`. Tables for people, `--json` for
 * scripts (the API's answer as one line). Errors are the usual one JSON object on stderr with
 * exit 1: the API's own code (GW_ERR_ADMIN_UNAUTHORIZED …) or GW_ERR_ADMIN_UNREACHABLE.
 * This module loads only commander and small helpers; the client loads in the action.
 */
import type { Command } from 'commander';
import { ADMIN_TOKEN_ENV, DEFAULT_ADMIN_PORT } from '../shared/admin-api-defaults.ts';
import type { CliIo } from './io.ts';

/** The options every API command takes. */
export interface ApiCliOptions {
  url: string;
  tokenFile?: string;
  timeoutSec?: string;
  json?: boolean;
}

interface SendCliOptions extends ApiCliOptions {
  to: string;
  text?: string;
  dataHex?: string;
}

const DEFAULT_URL = `http://127.0.0.1:${DEFAULT_ADMIN_PORT}`;

/** Adds `--url`, `--token-file` and `--json` to `command`. */
export function withApiOptions(command: Command): Command {
  return command
    .option('--url <url>', 'the admin API of the gateway', DEFAULT_URL)
    .option('--token-file <file>', `file holding the bearer token (default: the ${ADMIN_TOKEN_ENV} environment variable)`)
    .option('--timeout-sec <n>', 'longest wait for each answer of the gateway, 1..3600 (default: 60)')
    .option('--json', 'print the API\'s answer as one JSON line (for scripts)');
}

/** Runs one API call and prints its answer as JSON or through `lines`. */
async function show(io: CliIo, options: ApiCliOptions, path: string, lines: (value: never) => string[]): Promise<void> {
  const { apiTarget, callApi } = await import('./api-client.ts');
  const value = await callApi(apiTarget(options, io.env ?? {}), 'GET', path);
  if (options.json === true) io.json(value);
  else for (const line of lines(value as never)) io.out(line);
}

/** Period of the state checks of `smsbridge wakeup --wait` (a person waits; the gateway bounds the job by its time-to-live). */
const WAIT_POLL_MS = 1000;

/**
 * `smsbridge wakeup <endpoint>` over the API: requests the wake-up and prints the job id and
 * state; with `wait`, checks the device's wake-up every second until its job ended with a new
 * outcome, prints that outcome as the gateway stored it, and fails (exit 1) unless the device woke
 * or was awake already.
 */
export async function wakeupOverApi(io: CliIo, endpoint: string, options: ApiCliOptions & { wait?: boolean }): Promise<void> {
  const { apiTarget, callApi } = await import('./api-client.ts');
  const { ReportedFailure } = await import('./exit-status.ts');
  const target = apiTarget(options, io.env ?? {});
  const path = `/api/v1/wakeups/${encodeURIComponent(endpoint)}`;
  type State = { job: { state: string } | null; lastOutcome: ({ result: string } & Record<string, unknown>) | null };
  // The outcome before this request, to know the new one when it comes (a device unknown so far has none).
  const before = options.wait === true ? await (callApi(target, 'GET', path) as Promise<State>).then((s) => JSON.stringify(s.lastOutcome), () => 'null') : 'null';
  const requested = (await callApi(target, 'POST', '/api/v1/wakeups', { endpoint })) as { endpoint: string; jobId: string; state: string };
  if (options.json === true) io.json(requested);
  else io.out(`wake-up of ${requested.endpoint}: job ${requested.jobId} ${requested.state}`);
  if (options.wait !== true) return;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    const state = (await callApi(target, 'GET', path)) as State;
    if (state.job !== null || state.lastOutcome === null || JSON.stringify(state.lastOutcome) === before) continue;
    if (options.json === true) io.json(state.lastOutcome);
    else io.out(`outcome of ${endpoint}: ${state.lastOutcome.result} ${JSON.stringify(state.lastOutcome)}`);
    // Success: the device woke, or was awake already (nothing to send).
    if (state.lastOutcome.result !== 'woke' && state.lastOutcome['reason'] !== 'awake') throw new ReportedFailure(`the wake-up ended ${state.lastOutcome.result}`);
    return;
  }
}

/** Adds `status`, `modems`, `devices`, `queues` and `send` to `program`. */
export function addApiCommands(program: Command, io: CliIo): void {
  withApiOptions(program.command('status').description('overview of a running gateway (admin API)')).action(async (options: ApiCliOptions) => {
    const { statusLines } = await import('./api-tables.ts');
    await show(io, options, '/api/v1/status', statusLines);
  });
  withApiOptions(program.command('modems').description('modems of a running gateway: state, signal, counters (admin API)')).action(async (options: ApiCliOptions) => {
    const { modemsTable } = await import('./api-tables.ts');
    await show(io, options, '/api/v1/modems', (value: { modems: Parameters<typeof modemsTable>[0] }) => modemsTable(value.modems));
  });
  withApiOptions(program.command('devices').description('devices registered through a running gateway (admin API)')).action(async (options: ApiCliOptions) => {
    const { devicesTable } = await import('./api-tables.ts');
    await show(io, options, '/api/v1/devices', (value: { devices: Parameters<typeof devicesTable>[0] }) => devicesTable(value.devices, Date.now()));
  });
  withApiOptions(program.command('queues').description('job counts per state of each queue of a running gateway (admin API)')).action(async (options: ApiCliOptions) => {
    const { queuesTable } = await import('./api-tables.ts');
    await show(io, options, '/api/v1/queues', (value: { queues: Parameters<typeof queuesTable>[0] }) => queuesTable(value.queues));
  });
  withApiOptions(program.command('send').description('send one SMS through a running gateway\'s modems (admin API)'))
    .requiredOption('--to <number>', 'destination in E.164 with +, e.g. +491701234567')
    .option('--text <text>', 'text to send')
    .option('--data-hex <hex>', 'binary payload as hex (8-bit SMS)')
    .action(async (options: SendCliOptions) => {
      const { apiTarget, callApi } = await import('./api-client.ts');
      const { optionError, parsePhoneNumberOption } = await import('./options.ts');
      // The request is checked here first, so a bad number is named before a missing token is.
      const to = parsePhoneNumberOption(options.to, '--to', 15);
      // The API takes E.164 with + only (ITU-T E.164 §6: country code first, no leading zero).
      if (!to.international || to.digits.startsWith('0') || to.digits.length < 2) throw optionError('--to', `"${options.to}" is not an international number: E.164 with + and the country code, e.g. +491701234567`);
      if ((options.text === undefined) === (options.dataHex === undefined)) throw optionError('--text', 'give exactly one of --text and --data-hex');
      if (options.dataHex !== undefined && !/^(?:[0-9A-Fa-f]{2})+$/.test(options.dataHex)) throw optionError('--data-hex', `"${options.dataHex.length > 40 ? `${options.dataHex.slice(0, 40)}…` : options.dataHex}" is not hexadecimal octets: pairs of 0-9 a-f, at least one`);
      const body = { to: options.to, ...(options.text === undefined ? { dataHex: options.dataHex } : { text: options.text }) };
      const sent = (await callApi(apiTarget(options, io.env ?? {}), 'POST', '/api/v1/sms', body)) as { messageId: string; modem: string; parts: number };
      if (options.json === true) io.json(sent);
      else io.out(`sent to ${options.to} by ${sent.modem} in ${sent.parts} part${sent.parts === 1 ? '' : 's'} (message ${sent.messageId})`);
    });
}
