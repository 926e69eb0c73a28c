/**
 * The entry point of a benchmark script: runs `main` when the script is the process's own
 * (not when `bench/run.ts` imports it for its result formatting); a failure sets exit code 1.
 * A wrong command line (a {@link BenchUsageError}, or `node:util` parseArgs refusing an option)
 * is one JSON line on stderr, `{"code":"GW_ERR_USAGE","message":…}`, without a stack trace;
 * any other failure is a defect and printed whole.
 */
import { pathToFileURL } from 'node:url';

/** A benchmark's command line is wrong (unknown scenario, bad option value). */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

/** The usage message of `error` when it is a command-line mistake, else null. */
export function usageMessageOf(error: unknown): string | null {
  if (error instanceof BenchUsageError) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') ? (error as Error).message : null;
}

/** Runs `main` if `moduleUrl` (the script's `import.meta.url`) is the script node was started with. */
export function runIfMain(moduleUrl: string, main: () => Promise<void>): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main().catch((error: unknown) => {
    const usage = usageMessageOf(error);
    if (usage !== null) console.error(JSON.stringify({ code: 'GW_ERR_USAGE', message: usage }));
    else console.error(error);
    process.exitCode = 1;
  });
}
