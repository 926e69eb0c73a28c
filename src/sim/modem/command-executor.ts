/**
 * Runs one command line at a time (ITU-T V.250 §5.2–§5.7): the commands in order, information
 * text as each completes, one final result code at the end; the first error ends the line.
 * Handlers may answer later (`pending`) or open the `> ` prompt; the line resumes then.
 */
import { parseCommandBody, stripAtPrefix, type AtCommand } from './command-line.ts';
import type { CommandHandler, EngineContext } from './engine-context.ts';
import { GENERAL_COMMANDS, handleBasic } from './general-commands.ts';
import { NETWORK_COMMANDS } from './network-commands.ts';
import { ERROR, OK, formatFinal, formatInformation, type Framing, type Reply } from './responses.ts';
import { SIM_COMMANDS } from './sim-commands.ts';
import { SMS_COMMANDS } from './sms-commands.ts';

/** Every extended command the simulator knows, by upper-case name. */
const HANDLERS: Readonly<Record<string, CommandHandler>> = Object.freeze({ ...GENERAL_COMMANDS, ...SIM_COMMANDS, ...NETWORK_COMMANDS, ...SMS_COMMANDS });

/** What the executor needs from the engine. */
export interface ExecutorHost {
  readonly ctx: EngineContext;
  framing(): Framing;
  /** Writes to the host (through the output queue). */
  write(chunk: string): void;
  emitUrc(text: string): void;
  /** Switches the input machine to prompt data. */
  enterPrompt(mode: 'pdu' | 'text'): void;
  /** True while completions of `epoch` may still write (no reboot, reset or dispose since). */
  current(epoch: number): boolean;
  epoch(): number;
  /** A line ended: flush deferred URCs and process input that arrived meanwhile. */
  idle(): void;
}

/** The command-line executor of one engine. */
export class CommandExecutor {
  readonly #host: ExecutorHost;
  #busy = false;
  #dropCount = 0;
  #dropping = false;
  #afterFinal: Array<() => void> = [];
  #prompt: { complete: (data: string) => Reply; resume: (reply: Reply) => void } | null = null;
  readonly #urcsBeforePrompt: string[] = [];
  readonly #urcsBeforeFinal: string[] = [];
  /** Command-line bodies (after `AT`, upper case) the next matching line is refused for. */
  readonly #refusals: string[] = [];
  /** Holds armed by {@link CommandExecutor.holdNextPendingResult}, first armed first used. */
  readonly #pendingHolds: Array<(resume: () => void) => void> = [];
  #internalErrors = 0;

  /** @param host - the engine side: context, output, prompt switch and idle hook. */
  constructor(host: ExecutorHost) {
    this.#host = host;
  }

  /** True from the start of a line to its final result code. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Handler defects seen (a handler threw; answered with `ERROR`). */
  get internalErrors(): number {
    return this.#internalErrors;
  }

  /** Fault: the next `count` lines get no information text and no final result. */
  dropNext(count: number): void {
    this.#dropCount += Math.max(0, Math.floor(count));
  }

  /** Fault: `urc` is written just before the next `> ` prompt. */
  urcBeforePrompt(urc: string): void {
    this.#urcsBeforePrompt.push(urc);
  }

  /**
   * Fault: the next command line whose body (after `AT`) starts with `prefix` is answered `ERROR`
   * without running (firmware that announces a setting in `=?` and then refuses it).
   */
  refuseNext(prefix: string): void {
    this.#refusals.push(prefix.toUpperCase());
  }

  /** Fault: `urc` is written just before the next final result code. */
  urcBeforeFinal(urc: string): void {
    this.#urcsBeforeFinal.push(urc);
  }

  /**
   * Fault: the next command that answers later (`AT+CMGS`, `AT+CMSS`) does its work at once, but
   * its result (information text and final result code) is written only after the returned
   * function was called; URCs are written meanwhile. Models a modem that prints a fast status
   * report before the `+CMGS: <mr>` of the send it reports on.
   */
  holdNextPendingResult(): () => void {
    let resume: (() => void) | null = null;
    let released = false;
    this.#pendingHolds.push((next) => {
      if (released) next();
      else resume = next;
    });
    return () => {
      released = true;
      const next = resume;
      resume = null;
      next?.();
    };
  }

  /** Abandons the line in progress without answering (reboot, port reopened). */
  reset(): void {
    this.#busy = false;
    this.#dropping = false;
    this.#afterFinal = [];
    this.#prompt = null;
  }

  /** Runs a command line (the text before S3). Lines without the `AT` prefix are ignored. */
  executeLine(line: string, overflow: boolean, repeat: boolean): void {
    const body = overflow ? '' : stripAtPrefix(line);
    if (body === null) return; // V.250 §5.2.1: not a command line
    const { ctx } = this.#host;
    if (!repeat && !overflow) ctx.state.lastCommandLine = line;
    ctx.counters.commandLines++;
    this.#busy = true;
    this.#afterFinal = [];
    this.#dropping = this.#dropCount > 0;
    if (this.#dropping) this.#dropCount--;
    const refusal = this.#refusals.findIndex((prefix) => body.toUpperCase().startsWith(prefix));
    if (refusal >= 0) this.#refusals.splice(refusal, 1);
    const commands = overflow || refusal >= 0 ? null : parseCommandBody(body);
    const concatenation = ctx.profile.concatenation;
    if (commands === null || (commands.length > 1 && concatenation === 'refuse')) this.#finish(ERROR);
    else if (commands.length > 1 && concatenation === 'first') this.#run(commands.slice(0, 1), 0, ERROR); // the first runs, the line ends in ERROR
    else this.#run(commands, 0);
  }

  /** The prompt data ended with Ctrl-Z (`aborted` false) or ESC. */
  promptEnd(data: string, aborted: boolean): void {
    const prompt = this.#prompt;
    this.#prompt = null;
    if (prompt === null) return;
    prompt.resume(aborted ? OK : this.#guard(() => prompt.complete(data)));
  }

  /** Runs `commands` from `start`; when all succeed the line ends with `final` (OK but for a profile's concatenation quirk). */
  #run(commands: readonly AtCommand[], start: number, final: Reply = OK): void {
    const epoch = this.#host.epoch();
    for (let index = start; index < commands.length; ) {
      const command = commands[index++];
      if (command === undefined) break;
      const next = index;
      if (!this.#apply(this.#dispatch(command), epoch, () => this.#run(commands, next, final))) return;
    }
    this.#finish(final);
  }

  #dispatch(command: AtCommand): Reply {
    const { ctx } = this.#host;
    ctx.counters.commands++;
    return this.#guard(() => {
      if (command.kind !== 'extended') return handleBasic(command, ctx);
      const handler = Object.hasOwn(HANDLERS, command.name) ? HANDLERS[command.name] : undefined;
      return handler === undefined ? ERROR : handler(command, ctx);
    });
  }

  /** Runs handler code; a throw is a simulator defect, answered with `ERROR` and counted. */
  #guard(run: () => Reply): Reply {
    try {
      return run();
    } catch {
      this.#internalErrors++;
      return ERROR;
    }
  }

  /** True when the line continues now; false when it ended or continues later through `resume`. */
  #apply(reply: Reply, epoch: number, resume: () => void): boolean {
    const later = (next: Reply): void => {
      if (this.#host.current(epoch) && this.#apply(next, epoch, resume)) resume();
    };
    switch (reply.type) {
      case 'ok':
        if (reply.lines !== undefined && reply.lines.length > 0) this.#respond(formatInformation(reply.lines, this.#host.framing()));
        if (reply.then !== undefined) this.#afterFinal.push(reply.then);
        return true;
      case 'prompt': {
        for (const urc of this.#urcsBeforePrompt.splice(0)) this.#host.emitUrc(urc);
        const f = this.#host.framing();
        // TS 27.005 §3.5.1: <CR><LF><greater_than><space>, no line end after it.
        this.#host.write(`${String.fromCharCode(f.s3, f.s4)}> `);
        this.#prompt = { complete: reply.complete, resume: later };
        this.#host.enterPrompt(reply.mode);
        return false;
      }
      case 'pending': {
        let called = false;
        const hold = this.#pendingHolds.shift();
        reply.start((next) => {
          if (called) return;
          called = true;
          if (hold === undefined) later(next);
          else hold(() => later(next));
        });
        return false;
      }
      default:
        this.#finish(reply);
        return false;
    }
  }

  #respond(chunk: string): void {
    if (!this.#dropping) this.#host.write(chunk);
  }

  #finish(final: Reply): void {
    const v = this.#host.ctx.state.v250;
    for (const urc of this.#urcsBeforeFinal.splice(0)) this.#host.emitUrc(urc);
    if (!v.quiet) this.#respond(formatFinal(final, v.cmee, this.#host.framing()));
    this.#busy = false;
    this.#dropping = false;
    const actions = this.#afterFinal;
    this.#afterFinal = [];
    for (const action of actions) action();
    this.#host.idle();
  }
}
