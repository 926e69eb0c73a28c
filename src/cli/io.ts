/**
 * Where CLI commands write. Injected so commands stay testable in-process and nothing writes to
 * `process.stdout` behind the composition root's back.
 */
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
  /** Environment variables (secrets named by the config file); none when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The process's own stdout and stderr. */
export function processIo(): CliIo {
  return {
    json: (value) => process.stdout.write(`${JSON.stringify(value)}\n`),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    input: process.stdin,
    env: process.env,
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
