/**
 * Who owns a simulated modem's link path, across processes. A running `sim modem` keeps a lock
 * file `<link>.lock` holding its process id, created exclusively (`O_EXCL`), so a second modem
 * on the same path is refused instead of silently replacing the first one's pty. A lock whose
 * process is gone was left by a crashed run and is taken over with its link (the pty died with
 * that run's socat; its number may since belong to another terminal). A link without any lock
 * that points at a live pseudo-terminal belongs to some other program and is refused too.
 */
import { lstat, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { GatewayError } from '../../shared/errors.ts';

/** A held lock; `release` removes the lock file if it is still ours. */
export interface LinkLock {
  readonly lockPath: string;
  release(): Promise<void>;
}

/** True when a process with this id exists (EPERM: it exists but belongs to another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lockOwner(lockPath: string): Promise<number | null> {
  const text = await readFile(lockPath, 'utf8').catch(() => null);
  const pid = Number(text?.trim());
  return text !== null && Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

function inUse(linkPath: string, message: string, details: Record<string, unknown> = {}): GatewayError {
  return new GatewayError('GW_ERR_SIM_LINK_IN_USE', `--link ${linkPath}: ${message}`, { option: '--link', linkPath, ...details });
}

/**
 * Takes `linkPath` for this process. Raises GW_ERR_SIM_LINK_IN_USE when a running simulated
 * modem (a live process in the lock file) or another program (a link to a pty that exists, with
 * no lock) holds it, GW_ERR_CONFIG when the lock file cannot be written. Stale locks and links
 * of crashed runs are removed.
 */
export async function lockLink(linkPath: string, pid: number = process.pid): Promise<LinkLock> {
  const lockPath = `${linkPath}.lock`;
  let staleLock = false;
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(lockPath, `${pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' || attempt >= 2) {
        throw new GatewayError('GW_ERR_CONFIG', `--link: cannot create ${lockPath}: ${(error as Error).message}`, { option: '--link' });
      }
    }
    const owner = await lockOwner(lockPath);
    if (owner !== null && owner !== pid && processAlive(owner)) {
      throw inUse(linkPath, `a running simulated modem (pid ${owner}) owns it; stop that one or choose another path`, { pid: owner });
    }
    staleLock = true; // left by a crashed run (or unreadable): ours now, and so is its link
    await unlink(lockPath).catch(() => undefined);
  }
  const release = async (): Promise<void> => {
    if ((await lockOwner(lockPath)) === pid) await unlink(lockPath).catch(() => undefined);
  };
  const link = await lstat(linkPath).catch(() => null);
  if (!staleLock && link?.isSymbolicLink() === true && (await stat(linkPath).catch(() => null))?.isCharacterDevice() === true) {
    // No lock, yet the link leads to a live terminal: a socat or another tool of someone else.
    await release();
    throw inUse(linkPath, 'it points at a pseudo-terminal another program holds (no simulated modem lock); remove the link if nothing uses it');
  }
  return { lockPath, release };
}
