/**
 * The AT command interpreter of the simulated modem: bytes from the host in, response bytes out
 * through a callback. Pure apart from the injected {@link SimScheduler} (latencies, boot, CNMA
 * timeout) and the injected network; no I/O.
 *
 *   handleInput ─► InputMachine ─► command line ─► parseCommandBody ─► handlers (one by one)
 *                        │                                  │ info lines, `> ` prompt, pending
 *                        └─ prompt data (PDU/text) ─────────┘
 *   deliver ─► SmsRouter ─► URCs          everything ─► OutputQueue (delay / hang faults) ─► output
 *
 * Response framing follows ITU-T V.250 §5.7; URCs are written only between lines: while the host
 * is half-way through typing a line (echo on) they wait until it is complete.
 */
import { CommandExecutor } from './command-executor.ts';
import type { EngineContext, EngineCounters, IncomingSms, SimEngineNetwork } from './engine-context.ts';
import { engineStatus, type AtEngineStats, type AtEngineStatus, type StoredMessageView } from './engine-status.ts';
import { InputMachine } from './input-machine.ts';
import { REG_STAT, newSimCard, powerOnState, resolveEngineOptions, type AtEngineOptions, type ModemState, type RegistrationOutcome, type ResolvedEngineOptions } from './modem-state.ts';
import { NetworkRegistration } from './network-commands.ts';
import { OutputQueue } from './output-queue.ts';
import { powerOn, simReady } from './power-cycle.ts';
import type { SmsMemory } from './profiles.ts';
import { formatInformation, type Framing } from './responses.ts';
import type { SimScheduler } from './scheduler.ts';
import { pduLayout } from './sms-format.ts';
import { RP_CAUSE, SmsRouter } from './sms-incoming.ts';
import { SMS_STAT, createStorages, type SmsStorages } from './sms-storage.ts';

/** An old SMS-DELIVER ("Test" from +46708251358) used to fill storages for the storage-full fault. */
const FILLER_PDU = '07911326040000F0040B916407281553F800009930925161958004D4F29C0E';

/** Where the engine writes and how it tells time. */
export interface AtEngineIo {
  /** Receives every byte for the host as a latin1 string (one character per byte), in order. */
  readonly output: (chunk: string) => void;
  readonly scheduler: SimScheduler;
}

/**
 * One simulated modem's AT interpreter. Contract: `handleInput` accepts any bytes in any
 * chunking and never throws; output is whole lines (echo excepted) in order; every incoming
 * message passed to `deliver` is acknowledged exactly once; after `dispose` nothing is written
 * and no timer is left.
 */
export class AtEngine {
  readonly #options: ResolvedEngineOptions;
  readonly #scheduler: SimScheduler;
  readonly #output: OutputQueue;
  readonly #storages: SmsStorages;
  readonly #counters: EngineCounters = { commandLines: 0, commands: 0, smsSubmitted: 0, smsSent: 0, smsReceived: 0, statusReportsReceived: 0, deliveriesRefused: 0, cnmaTimeouts: 0, relayLinkSetups: 0, urcs: 0 };
  readonly #ctx: EngineContext;
  readonly #registration: NetworkRegistration;
  readonly #router: SmsRouter;
  readonly #input: InputMachine;
  #state: ModemState;
  #network: SimEngineNetwork | null = null;
  readonly #timers = new Set<() => void>();
  /** Incremented by a reboot; completions of an older epoch are ignored. */
  #epoch = 0;
  #offline = true;
  #hung = false;
  #disposed = false;
  readonly #executor: CommandExecutor;
  #pendingInput: Uint8Array[] = [];
  #deferredUrcs: string[] = [];
  #discardedInputBytes = 0;
  #defects = 0;

  /**
   * Powers the modem on silently (no banner: a host opening the port of a running modem sees
   * nothing). @throws RangeError for invalid options.
   */
  constructor(options: AtEngineOptions, io: AtEngineIo) {
    this.#options = resolveEngineOptions(options);
    this.#scheduler = io.scheduler;
    this.#output = new OutputQueue(io.output, io.scheduler);
    this.#storages = createStorages(this.#options.storageCapacity, this.#options.profile.firstIndex);
    this.#state = powerOnState(this.#options, newSimCard(this.#options));
    const engine = this;
    this.#ctx = {
      options: this.#options,
      profile: this.#options.profile,
      get state() {
        return engine.#state;
      },
      storages: this.#storages,
      counters: this.#counters,
      get registration() {
        return engine.#registration;
      },
      get incoming() {
        return engine.#router;
      },
      network: () => this.#network,
      nowMs: () => this.#scheduler.nowMs(),
      setTimer: (delayMs, callback) => this.#setTimer(delayMs, callback),
      emitUrc: (lines) => this.emitUrc(lines),
      reboot: () => this.reboot(),
      simBecameReady: (emitUrcs) => simReady(this.#ctx, emitUrcs),
    };
    this.#registration = new NetworkRegistration(this.#ctx);
    this.#router = new SmsRouter(this.#ctx);
    this.#input = new InputMachine(
      () => ({ echo: this.#state.v250.echo, s3: this.#state.v250.sRegisters[3] ?? 13, s5: this.#state.v250.sRegisters[5] ?? 8, maxLineChars: this.#options.maxCommandLineChars }),
      {
        echo: (chars) => this.#output.push(chars),
        line: (text, overflow) => this.#executor.executeLine(text, overflow, false),
        repeat: () => {
          const last = this.#state.lastCommandLine;
          if (last !== null) this.#executor.executeLine(last, false, true);
        },
        promptEnd: (data, aborted) => this.#executor.promptEnd(data, aborted),
        promptNewline: () => {
          const f = this.#framing();
          this.#output.push(`${String.fromCharCode(f.s3, f.s4)}> `);
        },
      },
    );
    this.#executor = new CommandExecutor({
      ctx: this.#ctx,
      framing: () => this.#framing(),
      write: (chunk) => this.#output.push(chunk),
      emitUrc: (text) => this.emitUrc(text),
      enterPrompt: (mode) => this.#input.enterPrompt(mode),
      current: (epoch) => epoch === this.#epoch && !this.#disposed,
      epoch: () => this.#epoch,
      idle: () => this.#idle(),
    });
    this.#powerOn(false);
  }

  /** The resolved options (profile, identities, timings). */
  get options(): ResolvedEngineOptions {
    return this.#options;
  }

  /** Counters since construction (a snapshot). */
  get stats(): AtEngineStats {
    return { ...this.#counters, discardedInputBytes: this.#discardedInputBytes, internalErrors: this.#executor.internalErrors + this.#defects };
  }

  /** The observable state now (a snapshot), for tests and the admin view. */
  get status(): AtEngineStatus {
    return engineStatus(this.#state, this.#storages, { poweredOn: !this.#offline, hung: this.#hung, awaitingCnma: this.#router.awaitingAck, inPrompt: this.#input.inPrompt });
  }

  /** The messages of one storage in index order (copies). */
  messages(memory: SmsMemory): StoredMessageView[] {
    return this.#storages[memory].entries().map(([index, m]) => ({ index, stat: m.stat, pduHex: m.pduHex, kind: m.kind }));
  }

  /** Sets or clears the network; with null, sends fail with `+CMS ERROR: 331`. */
  setNetwork(network: SimEngineNetwork | null): void {
    this.#network = network;
  }

  /** Bytes written by the host. Never throws. */
  handleInput(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      if (this.#disposed || this.#offline || this.#hung) {
        this.#discardedInputBytes += bytes.length - i;
        return;
      }
      if (this.#executor.busy && !this.#input.inPrompt) {
        this.#pendingInput.push(bytes.slice(i));
        return;
      }
      this.#input.push(bytes[i] ?? 0);
      if (this.#deferredUrcs.length > 0 && !this.#input.partial) this.#flushDeferred();
    }
  }

  /** An SMS or status report from the network; acknowledged per CNMI/CSMS (refused while down). */
  deliver(message: IncomingSms): void {
    if (this.#disposed || this.#offline || this.#hung) {
      this.#counters.deliveriesRefused++;
      message.ack(false, RP_CAUSE.MEMORY_CAPACITY_EXCEEDED);
      return;
    }
    let acknowledged = false;
    const once: IncomingSms = {
      kind: message.kind,
      pduHex: message.pduHex,
      ack: (ok, cause) => {
        if (acknowledged) return;
        acknowledged = true;
        message.ack(ok, cause);
      },
    };
    try {
      this.#router.deliver(once);
    } catch {
      // A simulator defect: counted, and the network is told so that it does not wait forever.
      this.#defects++;
      once.ack(false, RP_CAUSE.PROTOCOL_ERROR);
    }
  }

  /** Writes a URC now (or as soon as the host's partial line is complete). Dropped while down. */
  emitUrc(lines: string | readonly string[]): void {
    if (this.#disposed || this.#offline || this.#hung) return;
    const text = formatInformation(typeof lines === 'string' ? [lines] : lines, this.#framing());
    if (this.#input.partial) {
      this.#deferredUrcs.push(text);
      return;
    }
    this.#counters.urcs++;
    this.#output.push(text);
  }

  // --- Faults -------------------------------------------------------------------------------

  /** Reboots now: deaf for `rebootDelayMs`, then the profile's banner and a fresh state (SIM kept). */
  reboot(): void {
    if (this.#disposed) return;
    this.#epoch++;
    for (const cancel of [...this.#timers]) cancel();
    this.#router.reset();
    this.#registration.reset();
    this.#resetInput();
    this.#offline = true;
    this.#setTimer(this.#options.rebootDelayMs, () => this.#powerOn(true));
  }

  /** Hang (true): no output, input and URCs discarded, deliveries refused, until called with false. */
  setHung(hung: boolean): void {
    this.#hung = hung;
    this.#output.hung = hung;
  }

  /** The next `count` command lines get no information text and no final result (echo stays). */
  dropNextResponses(count: number): void {
    this.#executor.dropNext(count);
  }

  /** Delays every byte written from now on by `delayMs` (0 = none); order is kept. */
  setResponseDelayMs(delayMs: number): void {
    this.#output.delayMs = Math.max(0, delayMs);
  }

  /** Writes raw bytes (latin1 string) to the host, for garbage injection. */
  writeRaw(chunk: string): void {
    if (!this.#disposed) this.#output.push(chunk);
  }

  /** Fills the free slots of `memory` with old read messages. @returns how many were added. */
  fillStorage(memory: SmsMemory): number {
    let added = 0;
    const tpduLength = pduLayout(FILLER_PDU)?.tpduLength ?? 0;
    while (this.#storages[memory].store({ stat: SMS_STAT.RECEIVED_READ, pduHex: FILLER_PDU, tpduLength, kind: 'deliver' }) !== null) added++;
    return added;
  }

  /** Writes `urc` between the echo of the next `AT+CMGS`/`AT+CMGW` and its `> ` prompt. */
  injectUrcBeforeNextPrompt(urc: string): void {
    this.#executor.urcBeforePrompt(urc);
  }

  /** The next command line starting with `AT<prefix>` answers ERROR without running. */
  refuseNext(prefix: string): void {
    this.#executor.refuseNext(prefix);
  }

  /** Writes `urc` before the final result code of the next command line. */
  injectUrcBeforeNextFinal(urc: string): void {
    this.#executor.urcBeforeFinal(urc);
  }

  /** See {@link CommandExecutor.holdNextPendingResult}: the next send's result waits for the returned release. */
  holdNextPendingResult(): () => void {
    return this.#executor.holdNextPendingResult();
  }

  /** Sets `+CSQ` `<rssi>` (0..31, 99). */
  setSignal(rssi: number): void {
    this.#state.rssi = rssi;
  }

  /** Changes what the network grants; applied at once when the modem is attached. */
  setRegistration(outcome: RegistrationOutcome): void {
    const stat = { home: REG_STAT.HOME, roaming: REG_STAT.ROAMING, denied: REG_STAT.DENIED, none: REG_STAT.NOT_REGISTERED }[outcome];
    this.#state.regTarget = stat;
    if (this.#state.cfun === 1 && this.#state.sim === 'ready' && this.#state.regStat !== REG_STAT.SEARCHING) this.#registration.set(stat);
  }

  /**
   * Forgets a partly typed line, prompt data and the command in progress, whose answer is never
   * written (the host reopened the port). Settings, storages and the SIM are kept.
   */
  resetInput(): void {
    this.#epoch++;
    this.#resetInput();
  }

  /** Stops everything: timers cancelled, unacknowledged messages refused, no more output. */
  dispose(): void {
    if (this.#disposed) return;
    this.#router.reset();
    this.#disposed = true;
    for (const cancel of [...this.#timers]) cancel();
    this.#output.dispose();
  }

  // --- Plumbing -----------------------------------------------------------------------------

  #powerOn(banner: boolean): void {
    this.#offline = false;
    powerOn({ ctx: this.#ctx, replaceState: (state) => (this.#state = state) }, banner);
  }

  #setTimer(delayMs: number, callback: () => void): () => void {
    const cancel = (): void => {
      this.#timers.delete(cancel);
      cancelInner();
    };
    const cancelInner = this.#scheduler.setTimer(delayMs, () => {
      this.#timers.delete(cancel);
      if (!this.#disposed) callback();
    });
    this.#timers.add(cancel);
    return cancel;
  }

  #framing(): Framing {
    const v = this.#state.v250;
    return { verbose: v.verbose, s3: v.sRegisters[3] ?? 13, s4: v.sRegisters[4] ?? 10 };
  }

  /** After a line: deferred URCs out, then the input that arrived while it ran. */
  #idle(): void {
    if (this.#offline || this.#hung || this.#disposed) {
      this.#pendingInput = [];
      return;
    }
    this.#flushDeferred();
    const pending = this.#pendingInput;
    this.#pendingInput = [];
    for (const chunk of pending) this.handleInput(chunk);
  }

  #flushDeferred(): void {
    const urcs = this.#deferredUrcs;
    this.#deferredUrcs = [];
    for (const text of urcs) {
      this.#counters.urcs++;
      this.#output.push(text);
    }
  }

  #resetInput(): void {
    this.#input.reset();
    this.#executor.reset();
    this.#pendingInput = [];
    this.#deferredUrcs = [];
  }
}
