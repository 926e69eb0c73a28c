/**
 * Drives an {@link AtEngine} without I/O: a manual clock, a fake network and a transcript of
 * every byte the engine wrote.
 */
import { AtEngine } from '../../../../src/sim/modem/at-engine.ts';
import type { IncomingSms, SimEngineNetwork, SubmitResult } from '../../../../src/sim/modem/engine-context.ts';
import type { AtEngineOptions } from '../../../../src/sim/modem/modem-state.ts';
import type { SimScheduler } from '../../../../src/sim/modem/scheduler.ts';

/** A clock that moves only when told; timers with equal due times fire in creation order. */
export class ManualScheduler implements SimScheduler {
  #now = 1_700_000_000_000;
  #seq = 0;
  readonly #timers = new Map<number, { dueMs: number; seq: number; callback: () => void }>();

  nowMs(): number {
    return this.#now;
  }

  setTimer(delayMs: number, callback: () => void): () => void {
    const id = ++this.#seq;
    this.#timers.set(id, { dueMs: this.#now + Math.max(0, delayMs), seq: id, callback });
    return () => this.#timers.delete(id);
  }

  /** Pending timers. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves the clock by `ms`, firing due timers in order (timers set meanwhile included). */
  advance(ms: number): void {
    const end = this.#now + ms;
    while (true) {
      let next: [number, { dueMs: number; seq: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].dueMs > end) continue;
        if (next === undefined || entry[1].dueMs < next[1].dueMs || (entry[1].dueMs === next[1].dueMs && entry[1].seq < next[1].seq)) next = entry;
      }
      if (next === undefined) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].dueMs);
      next[1].callback();
    }
    this.#now = end;
  }
}

/** A network whose submits the test resolves by hand (or at once with `autoAccept`). */
export class FakeNetwork implements SimEngineNetwork {
  readonly submitted: string[] = [];
  readonly #waiting: Array<(result: SubmitResult) => void> = [];
  autoAccept = true;

  submit(tpduHex: string): Promise<SubmitResult> {
    this.submitted.push(tpduHex);
    if (this.autoAccept) return Promise.resolve({ ok: true });
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Answers the oldest waiting submit. */
  answer(result: SubmitResult): void {
    this.#waiting.shift()?.(result);
  }
}

/** An engine, its clock, its network and everything it wrote. */
export class EngineHarness {
  readonly scheduler = new ManualScheduler();
  readonly network = new FakeNetwork();
  readonly engine: AtEngine;
  #out = '';
  readonly acks: Array<{ ok: boolean; cause?: number }> = [];

  constructor(options: AtEngineOptions = {}, withNetwork = true) {
    this.engine = new AtEngine(options, { output: (chunk) => (this.#out += chunk), scheduler: this.scheduler });
    if (withNetwork) this.engine.setNetwork(this.network);
  }

  /** Writes `text` (a byte string) as the host would. */
  send(text: string): this {
    this.engine.handleInput(Buffer.from(text, 'latin1'));
    return this;
  }

  /** Everything written since the last `take`, then forgets it. */
  take(): string {
    const out = this.#out;
    this.#out = '';
    return out;
  }

  /** Sends `text` and returns what came back synchronously. */
  exchange(text: string): string {
    this.take();
    this.send(text);
    return this.take();
  }

  /** Lets promise callbacks run, then advances the clock by `ms`. */
  async settle(ms = 0): Promise<void> {
    for (let i = 0; i < 5; i++) await Promise.resolve();
    this.scheduler.advance(ms);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }

  /** Delivers a message from the network, recording its acknowledgement. */
  deliver(kind: IncomingSms['kind'], pduHex: string): void {
    this.engine.deliver({ kind, pduHex, ack: (ok, cause) => this.acks.push(cause === undefined ? { ok } : { ok, cause }) });
  }
}

/** Verbose information text: `\r\n` + lines joined by `\r\n` + `\r\n` (V.250 §5.7.1). */
export function info(...lines: string[]): string {
  return `\r\n${lines.join('\r\n')}\r\n`;
}

/** The verbose final result `OK`. */
export const OK_ = '\r\nOK\r\n';
/** The verbose final result `ERROR`. */
export const ERROR_ = '\r\nERROR\r\n';
/** The SMS prompt (TS 27.005 §3.5.1). */
export const PROMPT = '\r\n> ';

/** A harness whose modem answers without echo, registered, with `AT+CMEE=1`. */
export function readyHarness(options: AtEngineOptions = {}, withNetwork = true): EngineHarness {
  const h = new EngineHarness(options, withNetwork);
  h.scheduler.advance(1000);
  h.send('ATE0;+CMEE=1\r');
  h.take();
  return h;
}
