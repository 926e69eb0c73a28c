/**
 * Where CLI commands write. Injected so commands stay testable in-process and nothing writes to
 * `process.stdout` behind the composition root's back.
 */
import type { SignalProcess } from './service-lifecycle.ts';
export interface CliIo {
  /** Prints one JSON value on stdout, on one line. */
  json(value: unknown): void;
  /** Prints a line on stdout. */
  out(line: string): void;
  /** Prints a line on stderr. */
  err(line: string): void;
  /** Standard input, for interactive commands. */
  readonly input: NodeJS.ReadableStream;
  /** Resolves when the process is asked to stop (SIGINT or SIGTERM), for long-running commands. */
  untilStopped(): Promise<string>;
  /** Calls `listener` on every SIGUSR2 (the AT trace switch, docs/logging.md); returns a function that stops it. */
  onAtTraceSignal?(listener: () => void): () => void;
  /** True when stderr is a terminal (logs are printed for people, not as JSON). */
  readonly stderrIsTerminal?: boolean;
  /**
   * The process, for commands that run as services under a ServiceLifecycle (bounded stop, exit
   * code, second signal). Absent when a command runs in-process (tests).
   */
  readonly signals?: SignalProcess;
  /** True when stdout is a terminal (live tables redraw in place); false or absent otherwise. */
  readonly isTerminal?: boolean;
  /** Environment variables (secrets named by the config file); none when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** True once stdout's reader has gone (EPIPE, e.g. `… | head -1`): further output is dropped. */
  stdoutClosed?(): boolean;
}

/**
 * The process's own stdout and stderr. A write error on stdout (its reader went away: EPIPE) is
 * caught, not thrown: later output is dropped and {@link CliIo.stdoutClosed} says so.
 */
export function processIo(): CliIo {
  let stdoutClosed = false;
  process.stdout.on('error', () => {
    stdoutClosed = true;
  });
  const write = (text: string): void => {
    if (!stdoutClosed) process.stdout.write(text);
  };
  return {
    json: (value) => write(`${JSON.stringify(value)}\n`),
    out: (line) => write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    stderrIsTerminal: process.stderr.isTTY === true,
    onAtTraceSignal: (listener) => {
      process.on('SIGUSR2', listener);
      return () => void process.off('SIGUSR2', listener);
    },
    signals: process,
    isTerminal: process.stdout.isTTY === true,
    env: process.env,
    // A getter: creating process.stdin sets up the terminal or pipe, which most commands never read.
    get input() {
      return process.stdin;
    },
    stdoutClosed: () => stdoutClosed,
    untilStopped: () =>
      new Promise((resolve) => {
        const stop = (signal: string): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve(signal);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }),
  };
}
