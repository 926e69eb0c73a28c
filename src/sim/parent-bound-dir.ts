/**
 * A temporary folder that is removed when the process that made it ends, however it ends (kill
 * -9 included): a small `sh` watcher in its own process group blocks reading a pipe from this
 * process and removes the folder at end of input, which comes when this process closes the pipe
 * or the kernel closes it because this process died.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A folder from {@link makeParentBoundDir}. */
export interface ParentBoundDir {
  readonly path: string;
  /** Removes the folder now and ends its watcher. Idempotent. */
  remove(): Promise<void>;
}

const WATCHER_SCRIPT = 'cat >/dev/null; rm -rf -- "$1"';

/** Creates `<tmpdir>/<prefix>XXXXXX` and its watcher. */
export async function makeParentBoundDir(prefix: string): Promise<ParentBoundDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  const watcher = spawn('sh', ['-c', WATCHER_SCRIPT, 'parent-bound-dir', path], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  watcher.once('error', () => undefined); // no sh: the folder is still removed by remove()
  watcher.stdin?.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => {
    watcher.once('exit', () => resolve());
    watcher.once('error', () => resolve());
  });
  let removed: Promise<void> | null = null;
  return {
    path,
    remove: () =>
      (removed ??= (async () => {
        watcher.stdin?.end();
        await exited;
        await rm(path, { recursive: true, force: true });
      })()),
  };
}
