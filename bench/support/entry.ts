/**
 * The entry point of a benchmark script: runs `main` when the script is the process's own
 * (not when `bench/run.ts` imports it for its result formatting); a failure sets exit code 1.
 */
import { pathToFileURL } from 'node:url';

/** Runs `main` if `moduleUrl` (the script's `import.meta.url`) is the script node was started with. */
export function runIfMain(moduleUrl: string, main: () => Promise<void>): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
