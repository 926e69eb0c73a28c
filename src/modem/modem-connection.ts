/**
 * One connection of a modem driver: the open port, its AT channel, the session on it, and every
 * step and timer running on its behalf, cancelled together by one AbortController (as
 * ModemManager cancels a port's pending operations when the port goes). Closing a connection
 * aborts its signal, stops its timers, rejects its pending commands, and closes the port; no
 * command can be written on it afterwards.
 */
import { realpath } from 'node:fs/promises';
import { AtChannel } from './at-channel.ts';
import type { ModemSession } from './modem-session.ts';
import { openSerialLink, type SerialLink } from './serial-link.ts';

/** Thrown (and caught by the driver) when a step finds its connection closed. */
export class ConnectionAbortedError extends Error {
  constructor() {
    super('the modem connection was closed');
    this.name = 'ConnectionAbortedError';
  }
}

/**
 * One start-to-stop run of a driver: aborted by `stop()` (or when the SIM needs a person), with
 * the timers that live between connections (reopen back-off, block time).
 */
export class ModemRun {
  private readonly controller = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Aborted when the run ends. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Runs `action` once after `delayMs` unless the run ended first. */
  after(delayMs: number, action: () => void): void {
    if (this.aborted) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.aborted) action();
    }, delayMs);
    this.timers.add(timer);
  }

  /** Ends the run: its signal aborts and its timers never fire. Idempotent. */
  abort(): void {
    this.controller.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/**
 * An open port and what runs on it. Contract: `close()` is idempotent and resolves when the
 * port is closed; after it began, `aborted` is true, `signal` is aborted, timers added with
 * `every`/`after` never fire again, and every command on `channel` rejects.
 */
export class ModemConnection {
  /** The session once initialisation succeeded (replaced by a re-initialisation). */
  session: ModemSession | null = null;
  private readonly controller = new AbortController();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing: Promise<void> | null = null;

  private constructor(readonly link: SerialLink, readonly channel: AtChannel) {}

  /**
   * Opens `path`; when `cancel` is aborted by the time the port is open, the port is closed
   * again and null returned. Rejects with GW_ERR_MODEM_OPEN as {@link openSerialLink} does.
   */
  static async open(path: string, baudRate: number, cancel: AbortSignal): Promise<ModemConnection | null> {
    const link = await openSerialLink(path, { baudRate });
    if (cancel.aborted) {
      await link.close();
      return null;
    }
    return new ModemConnection(link, new AtChannel(link.stream, {}));
  }

  /** Aborted when the connection is closed. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Throws {@link ConnectionAbortedError} when the connection was closed (call after each await). */
  check(): void {
    if (this.aborted) throw new ConnectionAbortedError();
  }

  /** Runs `action` every `intervalMs` until the connection closes. */
  every(intervalMs: number, action: () => void): void {
    if (this.aborted) return;
    this.timers.add(setInterval(action, intervalMs));
  }

  /** Runs `action` once after `delayMs` unless the connection closed first. */
  after(delayMs: number, action: () => void): void {
    if (this.aborted) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, delayMs);
    this.timers.add(timer);
  }

  /** Waits `delayMs`; rejects with {@link ConnectionAbortedError} when the connection closes first. */
  pause(delayMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.aborted) return reject(new ConnectionAbortedError());
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new ConnectionAbortedError());
      };
      const timer = setTimeout(() => {
        this.signal.removeEventListener('abort', onAbort);
        resolve();
      }, delayMs);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stops the timers that run on this connection (a recovery restarts them). */
  clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * Watches the device path (hot-plug): a vanished or re-pointed path (USB re-enumeration:
   * `/dev/serial/by-id/...` now names another tty, or none) means the open file is not the modem
   * any more. A tty that hangs up closes the port by itself on POSIX (hangup-binding.ts: its
   * 0-byte read is a disconnect); this watch is for what gives the open file no hangup: a by-id
   * path re-pointed while the old tty stays open, a device or driver that goes without hanging up
   * its tty, and Windows (no hangup binding there).
   */
  watchPresence(path: string, intervalMs: number, onLost: () => void): void {
    if (path.startsWith('tcp://')) return;
    let opened: string | null = null;
    void realpath(path).then((target) => (opened = target), () => undefined);
    const timer = setInterval(() => {
      if (this.aborted) {
        clearInterval(timer);
        return;
      }
      realpath(path).then(
        (target) => {
          if (opened !== null && target !== opened && !this.aborted) onLost();
        },
        () => {
          if (!this.aborted) onLost();
        },
      );
    }, intervalMs);
    timer.unref();
    this.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  /** Aborts every step, stops the timers, rejects pending commands and closes the port. */
  close(): Promise<void> {
    if (this.closing === null) {
      this.controller.abort();
      this.clearTimers();
      this.session = null;
      this.channel.close();
      this.closing = this.link.close();
    }
    return this.closing;
  }
}
