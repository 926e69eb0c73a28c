/**
 * Opening a modem's byte stream: a serial device through `serialport` (production and tests on
 * pseudo-terminals), or a raw TCP serial server (`tcp://host:port`, as ser2net and terminal
 * servers offer). Both give a Node `Duplex`; the AT channel does not know which.
 */
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';
import { GatewayError } from '../shared/errors.ts';
import { hangupAwareBinding } from './hangup-binding.ts';

/** Options of {@link openSerialLink}. */
export interface SerialLinkOptions {
  /** @defaultValue 115200 */
  readonly baudRate?: number;
  /** Give up opening after this long. @defaultValue 5000 */
  readonly openTimeoutMs?: number;
}

/** An open link: the stream and how to close it. */
export interface SerialLink {
  readonly path: string;
  readonly stream: Duplex;
  /** Closes the link; resolves when it is closed. Never rejects. */
  close(): Promise<void>;
}

const TCP_PATH = /^tcp:\/\/([^:/]+):(\d{1,5})$/;

/**
 * Opens `path`: `/dev/serial/by-id/...` (a stable name, see hardware/udev), `/dev/tty...`, or
 * `tcp://host:port`. Serial devices are opened exclusively (`lock`), so a second process (or
 * ModemManager) cannot interleave commands. Rejects with GW_ERR_MODEM_OPEN naming the path.
 * A serial device that hangs up (unplugged) closes the stream with serialport's disconnect error
 * as soon as it is read, whenever that is (see hangup-binding.ts).
 */
export async function openSerialLink(path: string, options: SerialLinkOptions = {}): Promise<SerialLink> {
  const timeoutMs = options.openTimeoutMs ?? 5000;
  const tcp = TCP_PATH.exec(path);
  if (tcp) {
    const socket = connect({ host: tcp[1] ?? '', port: Number(tcp[2]) });
    socket.setNoDelay(true);
    await withTimeout(path, timeoutMs, new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }), () => socket.destroy());
    return {
      path,
      stream: socket,
      close: () => new Promise((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.destroy();
      }),
    };
  }
  const binding = hangupAwareBinding(SerialPort.binding);
  const port = new SerialPortStream({ binding, path, baudRate: options.baudRate ?? 115_200, autoOpen: false, lock: true });
  await withTimeout(path, timeoutMs, new Promise<void>((resolve, reject) => {
    port.open((error) => (error ? reject(error) : resolve()));
  }), () => port.destroy());
  return {
    path,
    stream: port,
    close: () => new Promise((resolve) => {
      if (!port.isOpen) {
        port.destroy();
        return resolve();
      }
      port.close(() => resolve());
    }),
  };
}

async function withTimeout(path: string, timeoutMs: number, opening: Promise<void>, abort: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not open after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([opening, timeout]);
  } catch (error) {
    abort();
    throw new GatewayError('GW_ERR_MODEM_OPEN', `cannot open ${path}: ${error instanceof Error ? error.message : String(error)}`, { path });
  } finally {
    clearTimeout(timer);
  }
}
