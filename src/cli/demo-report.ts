/**
 * What `smsbridge demo` shows: a tally of the lab core's requests by kind with the reason of
 * each failure, the live table (redrawn in place on a terminal, one line per change otherwise),
 * and the summary, whose text and JSON give each number one meaning.
 */
import type { GatewayStatus } from '../gateway/gateway.ts';
import type { Lab } from '../lab/lab.ts';
import type { LabCoreResponse } from '../sim/core/index.ts';
import { GatewayError } from '../shared/errors.ts';

/** One kind of request the demo's core sends, and what became of them. */
export class RequestTally {
  sent = 0;
  answered = 0;
  /** Failure reason (`4.04`, `GW_ERR_CORE_TIMEOUT`, …) → how many. */
  readonly failures = new Map<string, number>();

  /** `what`: how the summary names the request, e.g. `reads of /3/0`. */
  constructor(readonly what: string) {}

  /** Counts `request`: answered on a 2.xx response, failed (with its reason) otherwise. Never rejects. */
  track(request: Promise<LabCoreResponse>): void {
    this.sent += 1;
    request.then(
      (response) => (response.code.startsWith('2.') ? (this.answered += 1) : this.fail(`response ${response.code}`)),
      (error: unknown) => this.fail(error instanceof GatewayError ? error.code : String(error)),
    );
  }

  /** Requests that failed, for any reason. */
  get failed(): number {
    let n = 0;
    for (const count of this.failures.values()) n += count;
    return n;
  }

  /** Requests still waiting for their outcome. */
  get pending(): number {
    return this.sent - this.answered - this.failed;
  }

  /** E.g. `8 of 9 answered, 1 failed (1× GW_ERR_CORE_TIMEOUT)`. */
  describe(): string {
    const parts = [`${this.answered} of ${this.sent} answered`];
    if (this.failed > 0) parts.push(`${this.failed} failed (${[...this.failures].map(([reason, n]) => `${n}× ${reason}`).join(', ')})`);
    if (this.pending > 0) parts.push(`${this.pending} still waiting`);
    return parts.join(', ');
  }

  /** The JSON form: `sent` = `answered` + `failed` + `pending`. */
  toJSON(): { sent: number; answered: number; failed: number; pending: number; failureReasons: Record<string, number> } {
    return { sent: this.sent, answered: this.answered, failed: this.failed, pending: this.pending, failureReasons: Object.fromEntries(this.failures) };
  }

  private fail(reason: string): void {
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }
}

/** The demo's two kinds of request. */
export interface DemoTallies {
  readonly reads: RequestTally;
  readonly triggers: RequestTally;
}

function pad(text: string | number, width: number): string {
  return String(text).padEnd(width).slice(0, width);
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function elapsed(ms: number): string {
  const sec = Math.floor(ms / 1000);
  return `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}`;
}

/** The full table, one string per line, with the time (UTC) in its first line. */
export function tableLines(lab: Lab, status: GatewayStatus, tallies: DemoTallies, startedAtMs: number, nowMs: number): string[] {
  const lines = [`lwm2m-sms-bridge demo  ${clock(nowMs)} UTC  running ${elapsed(nowMs - startedAtMs)}  (Ctrl-C stops)`, ''];
  lines.push(`${pad('modem', 10)}${pad('state', 12)}${pad('number', 15)}${pad('signal', 9)}${pad('sent', 6)}${pad('recv', 6)}`);
  status.modems.forEach((m, i) => {
    const number = lab.modems[i]?.msisdn ?? '-';
    lines.push(`${pad(m.name, 10)}${pad(m.state, 12)}${pad(number, 15)}${pad(m.signalDbm === null ? '-' : `${m.signalDbm} dBm`, 9)}${pad(m.counters.sent, 6)}${pad(m.counters.received, 6)}`);
  });
  lines.push('');
  lines.push(`${pad('device', 17)}${pad('binding', 8)}${pad('registered', 11)}${pad('last bearer', 12)}${pad('core port', 10)}${pad('seen', 9)}${pad('SMS out/in', 11)}`);
  for (const device of lab.devices) {
    const record = status.devices.find((d) => d.endpoint === device.endpoint);
    const seen = record ? `${Math.max(0, Math.round((nowMs - record.lastActivityMs) / 1000))}s ago` : '-';
    lines.push(
      `${pad(device.endpoint, 17)}${pad(device.binding, 8)}${pad(record?.registered ? 'yes' : 'no', 11)}${pad(record?.lastBearer ?? '-', 12)}` +
        `${pad(record?.corePort ?? '-', 10)}${pad(seen, 9)}${pad(`${device.stats.smsSent}/${device.stats.smsReceived}`, 11)}`,
    );
  }
  lines.push('');
  lines.push(`${tallies.reads.what}: ${tallies.reads.describe()}`);
  lines.push(`${tallies.triggers.what}: ${tallies.triggers.describe()}`);
  lines.push(`relay: ${status.relay.toCore} to core, ${status.relay.downlinkSms} by SMS, ${status.relay.downlinkUdp} by UDP, ${status.relay.coreRetransmissionsAbsorbed} core retransmissions absorbed`);
  return lines;
}

/** One line for logs: the same facts as the table, short. */
export function statusLine(status: GatewayStatus, tallies: DemoTallies): string {
  const modems = status.modems.map((m) => `${m.name} ${m.state}`).join(', ');
  const registered = status.devices.filter((d) => d.registered).length;
  const sent = status.modems.reduce((n, m) => n + m.counters.sent, 0);
  const received = status.modems.reduce((n, m) => n + m.counters.received, 0);
  return `${modems}; ${registered} devices registered; reads ${tallies.reads.answered}/${tallies.reads.sent}` +
    `, triggers ${tallies.triggers.answered}/${tallies.triggers.sent}` +
    `${tallies.reads.failed + tallies.triggers.failed > 0 ? ` (${tallies.reads.failed + tallies.triggers.failed} failed)` : ''}; SMS ${sent} sent, ${received} received`;
}

/**
 * Writes the table: on a terminal the previous table is overwritten in place (cursor up, clear
 * to the end of the screen: ECMA-48 CUU and ED); elsewhere one time-stamped line, only when
 * something changed, so a log stays readable.
 */
export class LiveTable {
  private drawnLines = 0;
  private lastLine = '';

  constructor(private readonly out: (line: string) => void, private readonly isTerminal: boolean) {}

  /** Draws the current state. */
  draw(lab: Lab, status: GatewayStatus, tallies: DemoTallies, startedAtMs: number, nowMs: number): void {
    if (!this.isTerminal) {
      const line = statusLine(status, tallies);
      if (line === this.lastLine) return;
      this.lastLine = line;
      this.out(`${clock(nowMs)} ${line}`);
      return;
    }
    const lines = tableLines(lab, status, tallies, startedAtMs, nowMs);
    const rewind = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\x1b[J` : '';
    this.out(`${rewind}${lines.join('\n')}`);
    this.drawnLines = lines.length;
  }
}

/** The end-of-demo summary: one meaning per number. */
export interface DemoSummary {
  readonly durationSec: number;
  /** `duration` or the signal that ended the demo. */
  readonly endedBy: string;
  readonly devices: number;
  /** Devices the gateway holds a registration for at the end. */
  readonly devicesRegistered: number;
  /** Successful Registers / Updates, as the devices counted them. */
  readonly registrations: number;
  readonly updates: number;
  /** Reads of /3/0 and Registration Update Triggers (/1/0/8) sent by the core. */
  readonly reads: ReturnType<RequestTally['toJSON']>;
  readonly triggers: ReturnType<RequestTally['toJSON']>;
  readonly sms: { readonly sentByGateway: number; readonly receivedByGateway: number; readonly sentByDevices: number; readonly receivedByDevices: number };
  readonly relay: GatewayStatus['relay'];
}

/** Builds the summary from the lab's state now. */
export function summarise(lab: Lab, status: GatewayStatus, tallies: DemoTallies, durationSec: number, endedBy: string): DemoSummary {
  const sum = (pick: (s: (typeof lab.devices)[number]['stats']) => number): number => lab.devices.reduce((n, d) => n + pick(d.stats), 0);
  return {
    durationSec: Math.round(durationSec),
    endedBy,
    devices: lab.devices.length,
    devicesRegistered: status.devices.filter((d) => d.registered).length,
    registrations: sum((s) => s.registrations),
    updates: sum((s) => s.updates),
    reads: tallies.reads.toJSON(),
    triggers: tallies.triggers.toJSON(),
    sms: {
      sentByGateway: status.modems.reduce((n, m) => n + m.counters.sent, 0),
      receivedByGateway: status.modems.reduce((n, m) => n + m.counters.received, 0),
      sentByDevices: sum((s) => s.smsSent),
      receivedByDevices: sum((s) => s.smsReceived),
    },
    relay: status.relay,
  };
}

/** The summary as text lines. */
export function summaryLines(summary: DemoSummary, tallies: DemoTallies): string[] {
  return [
    `summary after ${summary.durationSec} s (ended by ${summary.endedBy}): ${summary.devicesRegistered} of ${summary.devices} devices registered (${summary.registrations} registrations, ${summary.updates} updates)`,
    `  ${tallies.reads.what}: ${tallies.reads.describe()}`,
    `  ${tallies.triggers.what}: ${tallies.triggers.describe()}`,
    `  SMS: ${summary.sms.sentByGateway} sent and ${summary.sms.receivedByGateway} received by the gateway; ${summary.sms.sentByDevices} sent and ${summary.sms.receivedByDevices} received by the devices`,
  ];
}
