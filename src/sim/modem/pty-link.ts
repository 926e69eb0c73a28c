/**
 * A real pseudo-terminal for the simulated modem, made by `socat`:
 *
 *   host (serialport, gammu, minicom) ── opens ──► <linkPath> → /dev/pts/N (slave)
 *                                                     │ pty
 *   PtyLink ◄── socat stdout (what the host wrote) ── socat ── master
 *   PtyLink ──► socat stdin  (what the modem says) ──┘
 *
 * `socat PTY,link=<path>,rawer STDIO` creates the pty in raw mode (no echo, no line discipline),
 * symlinks its slave at `<path>`, and relays the master to its stdin/stdout. socat keeps running
 * when the host closes and reopens the slave. Killing socat closes the master: the host's port
 * fails (serialport: `close` with a `disconnected` error) and socat removes the symlink; that is
 * how {@link PtyLink.unplug} simulates pulling the USB cable.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { lstat, unlink } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { GatewayError } from '../../shared/errors.ts';
import { TypedEmitter } from '../../shared/typed-emitter.ts';

/** Options of {@link PtyLink.open}. */
export interface PtyLinkOptions {
  /** The socat executable. @defaultValue 'socat' */
  readonly socatPath?: string;
  /** Time for socat to create the symlink. @defaultValue 5000 */
  readonly readyTimeoutMs?: number;
}

/** Events of {@link PtyLink}. */
export type PtyLinkEvents = {
  /** Bytes the host wrote. */
  data: [Buffer];
  /** socat ended without {@link PtyLink.unplug} or {@link PtyLink.close} (killed from outside). */
  lost: [];
};

type Socat = ChildProcessByStdio<Writable, Readable, Readable>;

const LINK_POLL_MS = 10;

/**
 * One pty at a fixed path. Contract: after `open` resolves the symlink exists and the host can
 * open it; `write` while unplugged drops the bytes (as a dead cable would); `unplug` resolves
 * when socat has exited and the symlink is gone; `replug` resolves when a new pty is linked at
 * the same path; `close` is idempotent and leaves no process and no symlink behind.
 */
export class PtyLink extends TypedEmitter<PtyLinkEvents> {
  /** Where the pty's slave is symlinked. */
  readonly linkPath: string;
  readonly #options: Required<PtyLinkOptions>;
  #socat: Socat | null = null;
  #closed = false;

  private constructor(linkPath: string, options: Required<PtyLinkOptions>) {
    super();
    this.linkPath = linkPath;
    this.#options = options;
  }

  /**
   * Creates the pty and waits for its symlink.
   * @throws GatewayError GW_ERR_SIM_UNAVAILABLE when socat is missing, fails, or is too slow.
   */
  static async open(linkPath: string, options: PtyLinkOptions = {}): Promise<PtyLink> {
    const link = new PtyLink(linkPath, { socatPath: options.socatPath ?? 'socat', readyTimeoutMs: options.readyTimeoutMs ?? 5000 });
    await link.#start();
    return link;
  }

  /** Process id of the socat behind the pty, or null while unplugged. */
  get pid(): number | null {
    return this.#socat?.pid ?? null;
  }

  /** True while a pty exists (between open/replug and unplug/close). */
  get plugged(): boolean {
    return this.#socat !== null;
  }

  /** Writes bytes to the host; dropped while unplugged. */
  write(chunk: Buffer): void {
    const socat = this.#socat;
    if (socat !== null && !socat.stdin.destroyed) socat.stdin.write(chunk);
  }

  /** Kills the pty: the host's open port fails and the path disappears. */
  async unplug(): Promise<void> {
    await this.#stop();
  }

  /** Creates a new pty at the same path. Does nothing when already plugged. */
  async replug(): Promise<void> {
    if (this.#closed) throw new GatewayError('GW_ERR_INTERNAL', 'replug after close', { linkPath: this.linkPath });
    if (this.#socat === null) await this.#start();
  }

  /** Removes the pty for good. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#stop();
  }

  async #start(): Promise<void> {
    // A link left by a crashed run would look ready before socat replaced it.
    if (await isSymlink(this.linkPath)) await unlink(this.linkPath).catch(() => undefined);
    // Detached (its own process group): a Ctrl-C at the terminal reaches the demo, which then
    // stops the modem in order, not socat behind its back. socat still ends with this process:
    // its stdin is our pipe, and end of input ends socat.
    const socat: Socat = spawn(this.#options.socatPath, [`PTY,link=${this.linkPath},rawer`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    socat.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    socat.stdin.on('error', () => undefined); // EPIPE after socat died; the exit handler reports it
    socat.stdout.on('data', (chunk: Buffer) => {
      if (this.#socat === socat) this.emit('data', chunk);
    });
    const exited = new Promise<string>((resolve) => {
      socat.once('error', (error) => resolve(error.message));
      socat.once('exit', (code, signal) => resolve(`exited with ${signal ?? code}`));
    });
    socat.once('exit', () => {
      if (this.#socat !== socat) return;
      this.#socat = null;
      this.emit('lost');
    });
    this.#socat = socat;
    const deadline = Date.now() + this.#options.readyTimeoutMs;
    let failure: string | null = null;
    void exited.then((reason) => (failure = reason));
    while (!(await isSymlink(this.linkPath))) {
      if (failure !== null || Date.now() > deadline) {
        this.#socat = null;
        socat.kill('SIGKILL');
        const reason = failure ?? 'timed out waiting for the pty';
        throw new GatewayError('GW_ERR_SIM_UNAVAILABLE', `socat could not create ${this.linkPath}: ${reason} ${stderr.trim()}`.trim(), { linkPath: this.linkPath });
      }
      await new Promise((resolve) => setTimeout(resolve, LINK_POLL_MS));
    }
  }

  async #stop(): Promise<void> {
    const socat = this.#socat;
    this.#socat = null;
    if (socat !== null && socat.exitCode === null && socat.signalCode === null) {
      const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
      socat.kill('SIGTERM');
      const timer = setTimeout(() => socat.kill('SIGKILL'), 1000);
      await exited;
      clearTimeout(timer);
    }
    // socat removes its link on SIGTERM; after SIGKILL (or a crash) the stale link is ours to remove.
    if (await isSymlink(this.linkPath)) await unlink(this.linkPath).catch(() => undefined);
  }
}

async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}
