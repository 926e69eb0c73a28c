/**
 * A helper process of a benchmark that speaks JSON lines: each line written to its stdin is
 * answered by one line on its stdout, in order (the first line it prints, unasked, says it is
 * ready). Runs the script with this process's loader (tsx). Closing stdin tells it to exit.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** A running helper. `stop` never rejects. */
export interface JsonChild {
  /** The unasked first line. */
  readonly hello: Record<string, unknown>;
  /** Writes `message` and resolves with the answer; rejects when the helper exits first or answers `{error}`. */
  ask(message: object): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts `script` with `args` (and `nodeFlags` for node itself, after this process's own) and waits for its first line. */
export async function startJsonChild(script: string, args: readonly string[] = [], nodeFlags: readonly string[] = []): Promise<JsonChild> {
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(process.execPath, [...process.execArgv, ...nodeFlags, script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve()); // could not be spawned: no 'exit' follows
  }).then(() => {
    gone = true;
  });
  const waiting: { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  void exited.then(() => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${script} exited`));
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not ours (a stray console line)
    }
    const next = waiting.shift();
    if (next === undefined) return;
    if (typeof message.error === 'string') next.reject(new Error(message.error));
    else next.resolve(message);
  });
  const next = (): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    if (gone) reject(new Error(`${script} exited`));
    else waiting.push({ resolve, reject });
  });
  const stop = async (): Promise<void> => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const hello = await next().catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return {
    hello,
    ask: (message) => {
      const answer = next();
      child.stdin.write(`${JSON.stringify(message)}\n`);
      return answer;
    },
    stop,
  };
}
