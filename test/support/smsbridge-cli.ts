/**
 * The `smsbridge` executable as tests run it: the `bin` entry of package.json (the compiled
 * JavaScript in dist/, built by `npm test`'s pretest step or `npm run build`), run by node with
 * the repository root as working directory.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The executable as package.json declares it (`dist/main.js`), relative to {@link ROOT}. */
export const BIN: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin?: { smsbridge?: string } };
  const bin = pkg.bin?.smsbridge;
  if (typeof bin !== 'string') throw new Error('package.json has no bin.smsbridge');
  if (!existsSync(join(ROOT, bin))) throw new Error(`${bin} does not exist: run \`npm run build\` (npm test does it first)`);
  return bin;
})();

/**
 * Safety net only: a run still going after this long is killed and reported as hung. Never a
 * speed check (a loaded machine may take seconds to start a process); tests wait for output.
 */
export const RUN_SAFETY_TIMEOUT_MS = 120_000;

/** How one run of the executable ended. */
export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** What to run `smsbridge` with besides its arguments. */
export interface RunOptions {
  /** Written to the process's standard input, which is then closed. */
  readonly input?: string;
  /** Environment variables added to this process's. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs `smsbridge …` to completion. A run killed by {@link RUN_SAFETY_TIMEOUT_MS} resolves with
 * `code: null` and a stderr that says so, so the failing assertion shows why.
 */
export function smsbridge(...args: string[]): Promise<Run> {
  return smsbridgeWith({}, ...args);
}

/** {@link smsbridge} with options (standard input). */
export function smsbridgeWith(options: RunOptions, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, encoding: 'utf8', timeout: RUN_SAFETY_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, ...(options.env === undefined ? {} : { env: { ...process.env, ...options.env } }) },
      (error, stdout, stderr) => {
        const killed = error !== null && error.killed === true;
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        const note = killed ? `\n[test support] smsbridge ${args.join(' ')} killed after the ${RUN_SAFETY_TIMEOUT_MS / 1000} s safety timeout (hung?)` : '';
        resolve({ code: killed ? null : code, stdout, stderr: `${stderr}${note}` });
      },
    );
    child.stdin?.on('error', () => undefined); // the process may exit before reading everything
    child.stdin?.end(options.input ?? '');
  });
}
