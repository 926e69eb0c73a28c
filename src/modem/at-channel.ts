/**
 * The AT channel: one modem port, exactly one command in flight, a timeout per command, and
 * unsolicited result codes demultiplexed at any moment, also between `AT+CMGS=<n>` and the
 * `> ` prompt and after Ctrl-Z (TS 27.005 §3.5.1; Kannel and ModemManager both lost messages to
 * URCs arriving mid-command: ../shared/reference/modem-gateways.md §6).
 *
 *   bytes ──► AtLineFramer ──► lines / prompts ──► AtChannel.handleLine
 *                                                     ├─ PDU line after +CMT/+CDS ──► 'urc'
 *                                                     ├─ echo of what we wrote   ──► dropped
 *                                                     ├─ final result            ──► completes command
 *                                                     ├─ known URC               ──► 'urc'
 *                                                     └─ other                   ──► command's lines
 */
import type { Duplex } from 'node:stream';
import { TypedEmitter } from '../shared/typed-emitter.ts';
import { AtLineFramer, type AtLineFramerStats } from './at/line-framer.ts';
import { parseFinalResult, parseUrcHeader, type FinalResult, type UrcHeader } from './at/line-parser.ts';
import { AtClosedError, AtCommandError, AtTimeoutError } from './at-errors.ts';

/** Ctrl-Z ends the PDU after the prompt; ESC aborts it (TS 27.005 §3.5.1). */
const CTRL_Z = '\x1a';
const ESC = '\x1b';
const PDU_LINE = /^[0-9A-Fa-f]+$/;

/** Options of {@link AtChannel}. */
export interface AtChannelOptions {
  /** Time for a command's final result. @defaultValue 10000 */
  readonly commandTimeoutMs?: number;
  /** Time from `AT+CMGS=<n>` to the `> ` prompt (Kannel waits 5 s). @defaultValue 5000 */
  readonly promptTimeoutMs?: number;
  /** Time from Ctrl-Z to `+CMGS: <mr>` / `OK` (Kannel 20 s, gammu 30 s). @defaultValue 60000 */
  readonly sendTimeoutMs?: number;
  /** Longest line kept; see {@link AtLineFramer}. @defaultValue 4096 */
  readonly maxLineBytes?: number;
  /** Quiet time after a resynchronising `AT` so late answers of a timed-out command drain. @defaultValue 150 */
  readonly resyncQuietMs?: number;
}

/** Options of one command. */
export interface AtCommandOptions {
  readonly timeoutMs?: number;
  /**
   * Prefixes (like `+CPMS`) whose lines belong to this command even though they look like URCs.
   * The prefix of the command itself (`AT+CREG?` → `+CREG`) is always included.
   */
  readonly responsePrefixes?: readonly string[];
  /** Run before every queued command (used for `AT+CNMA`, which must be sent at once). */
  readonly urgent?: boolean;
}

/** A successful command: the information lines between the command and its `OK`. */
export interface AtResponse {
  readonly command: string;
  readonly lines: readonly string[];
}

/** An unsolicited result code; `pdu` is the line after `+CMT`/`+CDS` headers. */
export interface AtUrc {
  readonly header: UrcHeader;
  readonly line: string;
  readonly pdu: string | null;
}

/** Counters of what the channel saw that it did not ask for. */
export interface AtChannelStats extends AtLineFramerStats {
  readonly strayFinals: number;
  readonly strayPrompts: number;
  readonly strayLines: number;
  readonly timeouts: number;
  readonly brokenPduUrcs: number;
}

/** Events of {@link AtChannel}. */
export type AtChannelEvents = {
  urc: [AtUrc];
  /** A line nobody asked for and no URC parser knows (counted in `strayLines`). */
  stray: [string];
  /**
   * The stream ended or failed; every pending command was rejected with {@link AtClosedError}. With
   * the stream's error, or the one its `close` carried (serialport's on a disconnect), else null.
   */
  closed: [Error | null];
  /**
   * Every line written (`tx`, without CR; a PDU without Ctrl-Z) and read (`rx`, the `> ` prompt
   * too), for an AT trace. Raw: PINs included, so a log must redact it first.
   */
  trace: [direction: 'tx' | 'rx', line: string];
};

interface Transaction {
  readonly command: string;
  readonly prefixes: readonly string[];
  readonly timeoutMs: number;
  /** For `AT+CMGS`: the PDU to write at the prompt. */
  readonly pdu: string | null;
  readonly promptTimeoutMs: number;
  readonly resolve: (response: AtResponse) => void;
  readonly reject: (error: Error) => void;
  lines: string[];
  pduWritten: boolean;
  timer: NodeJS.Timeout | null;
  /** The channel's own resynchronising `AT`. */
  readonly resync?: true;
}

function prefixOf(command: string): string | null {
  const match = /^AT([+^$%][A-Za-z0-9]+)/i.exec(command);
  return match?.[1]?.toUpperCase() ?? null;
}

/**
 * Runs AT commands over a byte stream (a `serialport` port or a TCP socket to a terminal server).
 *
 * Contract: commands run strictly one at a time in call order (urgent ones first); each resolves
 * with its information lines on `OK` and rejects with {@link AtCommandError} on an error result,
 * {@link AtTimeoutError} after its timeout, {@link AtClosedError} when the stream ends. After a
 * timeout the next command is preceded by a resynchronising `AT`. The channel never throws on
 * input: garbage, NUL bytes and overlong lines are counted in {@link AtChannel.stats}. The caller
 * owns the stream; {@link AtChannel.close} only detaches from it.
 */
export class AtChannel extends TypedEmitter<AtChannelEvents> {
  private readonly framer: AtLineFramer;
  private readonly queue: Transaction[] = [];
  private current: Transaction | null = null;
  private pendingPduHeader: { header: UrcHeader; line: string } | null = null;
  private echoes: string[] = [];
  private needsResync = false;
  private closedReason: string | null = null;
  private readonly counters = { strayFinals: 0, strayPrompts: 0, strayLines: 0, timeouts: 0, brokenPduUrcs: 0 };
  private readonly options: Required<AtChannelOptions>;
  private readonly detach: () => void;

  constructor(private readonly stream: Duplex, options: AtChannelOptions = {}) {
    super();
    this.options = {
      commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
      promptTimeoutMs: options.promptTimeoutMs ?? 5_000,
      sendTimeoutMs: options.sendTimeoutMs ?? 60_000,
      maxLineBytes: options.maxLineBytes ?? 4096,
      resyncQuietMs: options.resyncQuietMs ?? 150,
    };
    this.framer = new AtLineFramer({ maxLineBytes: this.options.maxLineBytes });
    const onData = (chunk: Buffer): void => this.handleBytes(chunk);
    // serialport's `close` carries a DisconnectedError when the device went away (a socket's, a boolean).
    const onClose = (e?: unknown): void => this.shutDown(`the port closed${e instanceof Error ? `: ${e.message}` : ''}`, e instanceof Error ? e : null);
    // The error listener stays attached after close: a late port error must not crash the process.
    const onError = (error: Error): void => this.shutDown(`port error: ${error.message}`, error);
    stream.on('data', onData);
    stream.on('close', onClose);
    stream.on('end', onClose);
    stream.on('error', onError);
    this.detach = () => {
      stream.off('data', onData);
      stream.off('close', onClose);
      stream.off('end', onClose);
    };
  }

  /** True once the stream ended or {@link AtChannel.close} was called. */
  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** Garbage and traffic counters since construction. */
  get stats(): AtChannelStats {
    return { ...this.framer.stats, ...this.counters };
  }

  /** Sends `command` (without CR) and resolves with its information lines on `OK`. */
  command(command: string, options: AtCommandOptions = {}): Promise<AtResponse> {
    return this.enqueue(command, null, options.timeoutMs ?? this.options.commandTimeoutMs, options);
  }

  /**
   * Sends one SMS PDU: `AT+CMGS=<tpduLength>`, waits for the prompt, writes the PDU and Ctrl-Z,
   * and resolves with the message reference from `+CMGS: <mr>` (TS 27.005 §3.5.1). A timeout
   * before the prompt aborts with ESC and rejects with `pduWritten: false` (nothing was sent);
   * a timeout or a closed port after the PDU was written rejects with `pduWritten: true`.
   */
  async sendPdu(tpduLength: number, pduHex: string, options: { promptTimeoutMs?: number; sendTimeoutMs?: number } = {}): Promise<number> {
    const response = await this.enqueue(
      `AT+CMGS=${tpduLength}`,
      pduHex,
      options.sendTimeoutMs ?? this.options.sendTimeoutMs,
      { responsePrefixes: ['+CMGS'] },
      options.promptTimeoutMs ?? this.options.promptTimeoutMs,
    );
    const line = response.lines.find((l) => l.startsWith('+CMGS:'));
    const mr = Number(line?.slice(6).trim().split(',')[0]);
    return Number.isInteger(mr) ? mr : -1;
  }

  /**
   * Rejects the command in flight and every queued one with {@link AtClosedError} (`pduWritten`
   * as it was), keeping the channel open: used when the modem restarted and will never answer.
   */
  abortPending(reason: string): void {
    const pending = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = null;
    this.echoes = [];
    for (const transaction of pending) {
      if (transaction.timer) clearTimeout(transaction.timer);
      transaction.reject(new AtClosedError(transaction.command, reason, transaction.pduWritten));
    }
  }

  /** Detaches from the stream and rejects every pending command. Does not close the stream. */
  close(): void {
    this.shutDown('the channel was closed', null);
  }

  private enqueue(command: string, pdu: string | null, timeoutMs: number, options: AtCommandOptions, promptTimeoutMs = 0): Promise<AtResponse> {
    return new Promise((resolve, reject) => {
      if (this.closedReason !== null) {
        reject(new AtClosedError(command, this.closedReason));
        return;
      }
      const own = prefixOf(command);
      const transaction: Transaction = {
        command, pdu, timeoutMs, promptTimeoutMs, resolve, reject,
        prefixes: [...(own ? [own] : []), ...(options.responsePrefixes ?? []).map((p) => p.toUpperCase())],
        lines: [], pduWritten: false, timer: null,
      };
      if (options.urgent) this.queue.unshift(transaction);
      else this.queue.push(transaction);
      this.startNext();
    });
  }

  private startNext(): void {
    if (this.current !== null || this.closedReason !== null) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    if (this.needsResync) {
      this.needsResync = false;
      this.queue.unshift(next);
      void this.resync().finally(() => this.startNext());
      return;
    }
    this.current = next;
    this.write(`${next.command}\r`, next.command);
    this.arm(next, next.pdu !== null ? next.promptTimeoutMs : next.timeoutMs);
  }

  /** `AT` until it answers, then a quiet pause: late results of a timed-out command drain away. */
  private resync(): Promise<void> {
    const sync = new Promise<void>((resolve) => {
      const transaction: Transaction = {
        command: 'AT', pdu: null, timeoutMs: 1000, promptTimeoutMs: 0, prefixes: [], lines: [], pduWritten: false, timer: null,
        resolve: () => resolve(), reject: () => resolve(), resync: true,
      };
      this.current = transaction;
      this.write('AT\r', 'AT');
      this.arm(transaction, 1000);
    });
    return sync.then(() => new Promise((r) => setTimeout(r, this.options.resyncQuietMs)));
  }

  private arm(transaction: Transaction, timeoutMs: number): void {
    if (transaction.timer) clearTimeout(transaction.timer);
    transaction.timer = setTimeout(() => this.onTimeout(transaction, timeoutMs), timeoutMs);
  }

  private onTimeout(transaction: Transaction, timeoutMs: number): void {
    if (this.current !== transaction) return;
    this.counters.timeouts += 1;
    if (transaction.pdu !== null && !transaction.pduWritten) this.write(ESC, null); // abort at the prompt
    // A dead modem must not make the channel resync forever: the command after it times out itself.
    if (transaction.resync !== true) this.needsResync = true;
    this.finish(transaction, new AtTimeoutError(transaction.command, timeoutMs, transaction.pduWritten));
  }

  private finish(transaction: Transaction, outcome: AtResponse | Error): void {
    if (transaction.timer) clearTimeout(transaction.timer);
    if (this.current === transaction) this.current = null;
    this.echoes = [];
    if (outcome instanceof Error) transaction.reject(outcome);
    else transaction.resolve(outcome);
    // Let the caller's continuation run before the next command starts.
    queueMicrotask(() => this.startNext());
  }

  private write(text: string, echo: string | null): void {
    if (echo !== null) this.echoes.push(echo.toUpperCase());
    if (this.listenerCount('trace') > 0) this.emit('trace', 'tx', text.replace(/[\r\x1a]+$/, '') || text);
    this.stream.write(text, 'latin1');
  }

  private handleBytes(chunk: Buffer): void {
    const tracing = this.listenerCount('trace') > 0;
    for (const frame of this.framer.push(chunk)) {
      if (tracing && frame.kind !== 'overflow') this.emit('trace', 'rx', frame.kind === 'line' ? frame.text : '> ');
      if (frame.kind === 'line') this.handleLine(frame.text);
      else if (frame.kind === 'prompt') this.handlePrompt();
      // 'overflow' frames are counted by the framer.
    }
  }

  private handlePrompt(): void {
    const transaction = this.current;
    if (transaction === null || transaction.pdu === null || transaction.pduWritten) {
      this.counters.strayPrompts += 1;
      return;
    }
    transaction.pduWritten = true;
    this.write(`${transaction.pdu}${CTRL_Z}`, transaction.pdu);
    this.arm(transaction, transaction.timeoutMs);
  }

  private handleLine(raw: string): void {
    const line = raw.trim();
    if (line.length === 0) return;
    if (this.pendingPduHeader !== null) {
      const header = this.pendingPduHeader;
      this.pendingPduHeader = null;
      if (PDU_LINE.test(line)) {
        this.emit('urc', { ...header, pdu: line });
        return;
      }
      this.counters.brokenPduUrcs += 1; // the PDU line never came; handle this line on its own
    }
    const transaction = this.current;
    if (transaction !== null && this.isEcho(line)) return;
    const final = parseFinalResult(line);
    if (final !== null) {
      this.handleFinal(final);
      return;
    }
    const urc = this.tryParseUrc(line);
    if (urc !== null && !this.belongsToCurrent(line) && urc.kind !== 'unknown') {
      if (urc.kind === 'cmt' || urc.kind === 'cds') this.pendingPduHeader = { header: urc, line };
      else this.emit('urc', { header: urc, line, pdu: null });
      return;
    }
    if (transaction !== null) {
      transaction.lines.push(line);
      return;
    }
    if (urc !== null) {
      this.emit('urc', { header: urc, line, pdu: null });
      return;
    }
    this.counters.strayLines += 1;
    this.emit('stray', line);
  }

  /** A URC header, or null; a known prefix with unreadable parameters is not a URC. */
  private tryParseUrc(line: string): UrcHeader | null {
    try {
      return parseUrcHeader(line);
    } catch {
      return null;
    }
  }

  private isEcho(line: string): boolean {
    const upper = line.replace(CTRL_Z, '').toUpperCase();
    const index = this.echoes.indexOf(upper);
    if (index < 0) return false;
    this.echoes.splice(index, 1);
    return true;
  }

  private belongsToCurrent(line: string): boolean {
    const transaction = this.current;
    if (transaction === null) return false;
    const upper = line.toUpperCase();
    return transaction.prefixes.some((prefix) => upper.startsWith(`${prefix}:`) || upper === prefix);
  }

  private handleFinal(final: FinalResult): void {
    const transaction = this.current;
    if (transaction === null) {
      this.counters.strayFinals += 1;
      return;
    }
    if (transaction.pdu !== null && !transaction.pduWritten && final.kind === 'ok') {
      // OK before the prompt cannot end an AT+CMGS; it is a late answer to something earlier.
      this.counters.strayFinals += 1;
      return;
    }
    if (final.kind === 'ok') this.finish(transaction, { command: transaction.command, lines: transaction.lines });
    else this.finish(transaction, new AtCommandError(transaction.command, final));
  }

  private shutDown(reason: string, error: Error | null): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.detach();
    const pending = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = null;
    for (const transaction of pending) {
      if (transaction.timer) clearTimeout(transaction.timer);
      transaction.reject(new AtClosedError(transaction.command, reason, transaction.pduWritten));
    }
    this.emit('closed', error);
  }
}
