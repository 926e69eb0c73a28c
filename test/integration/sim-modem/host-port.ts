/**
 * The host side of a simulated modem: a real serial port (node-serialport on the pty), raw AT
 * text in and out, and waits for expected bytes with a timeout instead of fixed sleeps.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';

/** V.250 final result codes (verbose), also +CME/+CMS errors. */
export const FINAL = /\r\n(?:OK|ERROR|\+CM[ES] ERROR: [^\r\n]*)\r\n/;

/** An open serial port with a receive buffer. */
export class HostPort {
  readonly #port: SerialPort;
  #buffer = '';
  #wake: (() => void) | null = null;
  /** The error given with `close` (serialport marks a vanished device `disconnected`), or null. */
  closeError: (Error & { disconnected?: boolean }) | null | undefined = undefined;

  private constructor(port: SerialPort) {
    this.#port = port;
    port.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('latin1');
      this.#wake?.();
    });
    port.on('close', (error: (Error & { disconnected?: boolean }) | null) => {
      this.closeError = error ?? null;
      this.#wake?.();
    });
    port.on('error', () => undefined);
  }

  /** Opens `path` as a serial port (115200 8N1, what a USB modem's AT port would get). */
  static async open(path: string): Promise<HostPort> {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    return new HostPort(port);
  }

  get isOpen(): boolean {
    return this.#port.isOpen;
  }

  /** Writes bytes (a latin1 string) and waits until they left. */
  async write(text: string): Promise<void> {
    // node-serialport queues writes to a closed port until it reopens; fail at once instead.
    if (!this.#port.isOpen) throw new Error('port is not open');
    await new Promise<void>((resolve, reject) => this.#port.write(Buffer.from(text, 'latin1'), (error) => (error ? reject(error) : resolve())));
    await new Promise<void>((resolve) => this.#port.drain(() => resolve()));
  }

  /**
   * Waits until the received bytes contain `pattern`; returns and consumes everything up to the
   * end of the match. Rejects after `timeoutMs` with what arrived so far.
   */
  async waitFor(pattern: string | RegExp, timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const end = matchEnd(this.#buffer, pattern);
      if (end >= 0) {
        const taken = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end);
        return taken;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(pattern)}; received ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** Sends `line` + CR and returns the response up to its final result code. */
  async command(line: string, timeoutMs = 3000): Promise<string> {
    await this.write(`${line}\r`);
    return this.waitFor(FINAL, timeoutMs);
  }

  /** Everything received and not yet consumed (consumes it). */
  take(): string {
    const text = this.#buffer;
    this.#buffer = '';
    return text;
  }

  /** Resolves when the port closed (for example because the device vanished). */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeError === undefined) {
      if (Date.now() > deadline) throw new Error('port did not close');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** Closes the port if it is still open. */
  async close(): Promise<void> {
    if (!this.#port.isOpen) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.#port.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function matchEnd(text: string, pattern: string | RegExp): number {
  if (typeof pattern === 'string') {
    const index = text.indexOf(pattern);
    return index < 0 ? -1 : index + pattern.length;
  }
  const match = pattern.exec(text);
  return match === null ? -1 : match.index + match[0].length;
}

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'sim-modem-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
