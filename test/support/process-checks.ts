/**
 * Checks on processes and files that tests of process lifecycles share: is a pid alive, does a
 * path exist, and polling until a condition holds (with a generous safety timeout, never a fixed
 * sleep).
 */
import { type ChildProcess } from 'node:child_process';
import { lstat } from 'node:fs/promises';

/** True while a process with this pid exists (signal 0 probes without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `path` exists (a dangling symbolic link counts). */
export async function pathExists(path: string): Promise<boolean> {
  return lstat(path).then(() => true, () => false);
}

/** Polls `check` every 50 ms until it returns true; rejects after `safetyTimeoutMs` naming `what`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, safetyTimeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + safetyTimeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Collects a child's stdout and resolves lines as they come. */
export class OutputLines {
  text = '';
  private waiters: (() => void)[] = [];

  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
      for (const wake of this.waiters.splice(0)) wake();
    });
    stream.on('end', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves with the first line matching `pattern`; rejects after `safetyTimeoutMs`. */
  async waitFor(pattern: RegExp, safetyTimeoutMs = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + safetyTimeoutMs;
    for (;;) {
      const match = this.text.split('\n').map((line) => line.match(pattern)).find((m) => m !== null);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`no line matching ${pattern} within ${safetyTimeoutMs} ms; output so far:\n${this.text.slice(-3000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Resolves with the exit code (or the signal's name) when `child` has exited. */
export function exitOf(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}
