/**
 * A scripted modem for lock-step tests of the AT channel (Californium's lock-step style): a real
 * pseudo-terminal (socat, through the simulator's PtyLink) whose far end the test drives byte by
 * byte. The code under test opens the link path with `serialport`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PtyLink } from '../../src/sim/modem/pty-link.ts';

/** The far end of a pty. */
export interface PtyPeer {
  readonly path: string;
  readonly link: PtyLink;
  /** Everything the host wrote so far (latin1). */
  received(): string;
  /** Resolves when the host has written `text` (after what earlier `expect` calls consumed). */
  expect(text: string, timeoutMs?: number): Promise<void>;
  /** Writes bytes to the host. */
  send(text: string | Buffer): void;
  close(): Promise<void>;
}

/** Creates a pty in a fresh temporary directory. */
export async function openPtyPeer(): Promise<PtyPeer> {
  const dir = await mkdtemp(join(tmpdir(), 'smsbridge-pty-'));
  const path = join(dir, 'modem');
  const link = await PtyLink.open(path);
  let buffer = '';
  let consumed = 0;
  const waiters = new Set<() => void>();
  link.on('data', (chunk) => {
    buffer += chunk.toString('latin1');
    for (const waiter of waiters) waiter();
  });
  return {
    path,
    link,
    received: () => buffer,
    expect(text, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const at = buffer.indexOf(text, consumed);
          if (at < 0) return;
          consumed = at + text.length;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`host did not write ${JSON.stringify(text)}; got ${JSON.stringify(buffer.slice(consumed))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    send: (text) => link.write(Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1')),
    close: async () => {
      await link.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
