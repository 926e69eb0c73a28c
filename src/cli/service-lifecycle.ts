/**
 * The life of a long-running command (`run`, `demo`) as a process: the first SIGTERM or SIGINT
 * asks it to stop, the stop gets a bound, and a second signal ends the process at once.
 *
 * Exit codes:
 * - 0: stopped cleanly after a signal (or at the end of its work);
 * - 1: the stop failed, or did not finish within `stopTimeoutMs` (one log line says which);
 * - 128 + signal number (130 for SIGINT, 143 for SIGTERM, as a shell reports a process killed
 *   by that signal): a second signal arrived while stopping, and the process ended at once.
 *
 * One Ctrl-C can arrive twice: the terminal sends SIGINT to the whole foreground process group,
 * and `npm run` forwards the SIGINT it got to its child as well. So the same signal again within
 * `duplicateSignalWindowMs` of the first counts as the same request, not as the second signal.
 *
 * Use (a composition root):
 *
 *     const lifecycle = new ServiceLifecycle(process, { log: (line) => logger.info(line) });
 *     const gateway = await Gateway.start(config);
 *     await lifecycle.stopRequested;
 *     await lifecycle.shutdown(async () => { const r = await gateway.stop({ timeoutMs: 9000 }); if (!r.clean) throw new Error(r.unfinishedStep ?? 'unclean stop'); });
 *
 * The process is injected ({@link SignalProcess}; `process` itself fits), so only the
 * composition root hands out the real one.
 */

/** What the lifecycle needs of a process: signal listeners and exit. `process` satisfies it. */
export interface SignalProcess {
  on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/** Options of {@link ServiceLifecycle}. */
export interface ServiceLifecycleOptions {
  /** Longest time the stop may take before the process exits with 1. @defaultValue 10000 */
  readonly stopTimeoutMs?: number;
  /** The same signal again within this time is taken as a duplicate of the first. @defaultValue 1000 */
  readonly duplicateSignalWindowMs?: number;
  /** Receives one line per lifecycle event (signal received, stopped, stop timed out). */
  readonly log: (line: string) => void;
}

/** Exit code of a clean stop. */
export const EXIT_STOPPED = 0;
/** Exit code of a stop that failed or ran out of time. */
export const EXIT_STOP_FAILED = 1;

const SIGNAL_NUMBERS: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 2, SIGTERM: 15 };

/**
 * Contract: from construction on, SIGINT and SIGTERM are handled (Node's default, dying at
 * once, no longer applies). The first signal resolves {@link stopRequested}; any signal after
 * it, or after {@link shutdown} began, exits at once with 128 + its number.
 * {@link shutdown} runs the stop once and exits with 0 when it resolves, with 1 when it rejects
 * or has not settled after `stopTimeoutMs`.
 */
export class ServiceLifecycle {
  /** Resolves with the first signal's name. */
  readonly stopRequested: Promise<NodeJS.Signals>;
  private resolveStop: (signal: NodeJS.Signals) => void = () => undefined;
  private first: { readonly signal: NodeJS.Signals; readonly atMs: number } | null = null;
  private shuttingDown: Promise<void> | null = null;
  private readonly stopTimeoutMs: number;
  private readonly onSignal = (signal: NodeJS.Signals): void => this.handle(signal);

  constructor(private readonly proc: SignalProcess, private readonly options: ServiceLifecycleOptions) {
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.stopRequested = new Promise((resolve) => (this.resolveStop = resolve));
    proc.on('SIGINT', this.onSignal);
    proc.on('SIGTERM', this.onSignal);
  }

  /**
   * Runs `stop` (once; later calls share the first) and exits the process: 0 when it resolves,
   * 1 with a log line when it rejects or is still running after `stopTimeoutMs`.
   */
  shutdown(stop: () => Promise<unknown>): Promise<void> {
    this.shuttingDown ??= this.runStop(stop);
    return this.shuttingDown;
  }

  /** Removes the signal listeners (for callers that end without {@link shutdown}). */
  dispose(): void {
    this.proc.off('SIGINT', this.onSignal);
    this.proc.off('SIGTERM', this.onSignal);
  }

  private handle(signal: NodeJS.Signals): void {
    const first = this.first;
    if (first !== null && first.signal === signal && Date.now() - first.atMs < (this.options.duplicateSignalWindowMs ?? 1000)) {
      this.options.log(`received ${signal} again at once: taken as the same request (send it again to exit at once)`);
      return;
    }
    if (first !== null || this.shuttingDown !== null) {
      const code = 128 + (SIGNAL_NUMBERS[signal as 'SIGINT' | 'SIGTERM'] ?? 15);
      this.options.log(`received ${signal} while stopping: exiting at once with ${code}`);
      this.exit(code);
      return;
    }
    this.first = { signal, atMs: Date.now() };
    this.options.log(`received ${signal}: stopping (within ${this.stopTimeoutMs} ms; a second signal exits at once)`);
    this.resolveStop(signal);
  }

  private async runStop(stop: () => Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.stopTimeoutMs)));
    const outcome = await Promise.race([
      stop().then(() => 'stopped' as const, (error: unknown) => error instanceof Error ? error : new Error(String(error))),
      timedOut,
    ]);
    clearTimeout(timer);
    if (outcome === 'stopped') {
      this.exit(EXIT_STOPPED);
    } else if (outcome === 'timeout') {
      this.options.log(`stop did not finish within ${this.stopTimeoutMs} ms: exiting with ${EXIT_STOP_FAILED}`);
      this.exit(EXIT_STOP_FAILED);
    } else {
      this.options.log(`stop failed: ${outcome.message}: exiting with ${EXIT_STOP_FAILED}`);
      this.exit(EXIT_STOP_FAILED);
    }
  }

  private exit(code: number): void {
    this.dispose();
    this.proc.exit(code);
  }
}
