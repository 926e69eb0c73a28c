/**
 * What every long-running command (`run`, `demo`) wires the same way around its own start and
 * stop: the {@link ServiceLifecycle} under a real process, the abort of a start-up still under
 * way at the first signal, the SIGUSR2 switch of the AT trace, and the end (bounded and with an
 * exit code under the lifecycle, a plain call in-process). The commands keep only what is theirs:
 * what to start, what to print, how to stop it.
 */
import type { CliIo } from './io.ts';
import { ServiceLifecycle } from './service-lifecycle.ts';

/** One supervised run; see {@link superviseService}. */
export interface ServiceSupervisor {
  /** Resolves with the first SIGINT/SIGTERM (or the in-process stop of {@link CliIo.untilStopped}). */
  readonly stopRequested: Promise<string>;
  /** Aborted with the first signal: hand it to a start-up that may wait (for Redis, say). */
  readonly startSignal: AbortSignal;
  /** From now on SIGUSR2 calls `toggle` (when the process has the signal), until {@link finish} or {@link abandon}. */
  onAtTraceSignal(toggle: () => void): void;
  /**
   * Ends the run with `stop` (called once). Under the lifecycle the process then exits (0 when
   * `stop` resolved, 1 when it rejected or ran out of time, see {@link ServiceLifecycle}); in-process
   * the promise settles as `stop` does.
   */
  finish(stop: () => Promise<unknown>): Promise<void>;
  /** The run ends without {@link finish} (the start-up failed): signal listeners are removed, the caller reports the error. */
  abandon(): void;
}

/**
 * Starts supervising a long-running command on `io`. Contract: from this call on the first
 * signal resolves {@link ServiceSupervisor.stopRequested} and aborts
 * {@link ServiceSupervisor.startSignal}; a second signal exits at once (under the lifecycle);
 * `log` gets the lifecycle's lines.
 */
export function superviseService(io: CliIo, log: (line: string) => void): ServiceSupervisor {
  const lifecycle = io.signals ? new ServiceLifecycle(io.signals, { log }) : null;
  const stopRequested: Promise<string> = lifecycle?.stopRequested ?? io.untilStopped();
  const startAbort = new AbortController();
  void stopRequested.then(() => startAbort.abort());
  let stopAtTrace: () => void = () => undefined;
  return {
    stopRequested,
    startSignal: startAbort.signal,
    onAtTraceSignal: (toggle) => {
      stopAtTrace();
      stopAtTrace = io.onAtTraceSignal?.(toggle) ?? (() => undefined);
    },
    finish: async (stop) => {
      stopAtTrace();
      if (lifecycle) await lifecycle.shutdown(stop); // exits the process
      else await stop();
    },
    abandon: () => {
      stopAtTrace();
      lifecycle?.dispose();
    },
  };
}
