/**
 * The `smsbridge` executable as tests run it: the `bin` entry of package.json, through node and
 * tsx, with the repository root as working directory.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The executable as package.json declares it (`src/…/smsbridge.mjs`), relative to {@link ROOT}. */
export const BIN: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { bin?: { smsbridge?: string } };
  const bin = pkg.bin?.smsbridge;
  if (typeof bin !== 'string') throw new Error('package.json has no bin.smsbridge');
  return bin;
})();

/** How one run of the executable ended. */
export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `smsbridge …` to completion (killed after 20 s). */
export function smsbridge(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}
