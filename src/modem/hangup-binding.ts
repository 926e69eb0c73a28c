/**
 * A `serialport` binding that reports a hung-up POSIX tty as a disconnect.
 *
 * Once the far end of a tty hangs up (a USB modem pulled out, a pseudo-terminal's master
 * closed), every read of our end returns 0 bytes: end of file. `@serialport/bindings-cpp` 13
 * treats a 0-byte read as "try again" and reads again without end (upstream issue
 * https://github.com/serialport/bindings-cpp/issues/162, fix PR #164 closed unmerged), so the
 * port never closes, a CPU spins and the AT channel never learns that the modem is gone. This
 * happens whenever the port's read runs after the hangup (an idle modem pulled out, a loaded
 * host); a read already waiting on the poller sees the hangup as an error and disconnects.
 *
 * The fix here: the binding's own read (`unixRead`, which keeps its EAGAIN/poller handling) runs
 * with a file read that turns 0 bytes into an error. `unixRead` rethrows it, and the stream
 * treats any read error that is not `canceled` as a disconnect: it closes the port and emits
 * `close` with a `DisconnectedError` (`disconnected: true`).
 */
import { read } from 'node:fs';
import { promisify } from 'node:util';
import type {
  AutoDetectTypes, BindingInterface, DarwinBindingInterface, DarwinOpenOptions, DarwinPortBinding, LinuxBindingInterface, LinuxOpenOptions, LinuxPortBinding,
} from '@serialport/bindings-cpp';
import { unixRead } from '@serialport/bindings-cpp/dist/unix-read.js';

type FileRead = NonNullable<Parameters<typeof unixRead>[0]['fsReadAsync']>;

/** The binding {@link hangupAwareBinding} returns on POSIX. */
export type PosixHangupBinding = BindingInterface<LinuxPortBinding | DarwinPortBinding, LinuxOpenOptions & DarwinOpenOptions>;

const readFile = promisify(read);

/** Message of the read error (and so of serialport's `DisconnectedError`) on a hung-up tty. */
export const HANGUP_MESSAGE = 'read returned end of file: the tty hung up';

async function readOrHangUp(fd: number, buffer: Buffer, offset: number, length: number, position: number | null): Promise<{ bytesRead: number; buffer: Buffer }> {
  const result = await readFile(fd, buffer, offset, length, position);
  // A tty in raw mode (serialport's) with O_NONBLOCK answers "no data yet" with EAGAIN, never 0.
  if (result.bytesRead === 0 && length > 0) throw Object.assign(new Error(HANGUP_MESSAGE), { disconnect: true });
  return result;
}

/**
 * Wraps serialport's auto-detected `binding` so that on POSIX (Linux, macOS) a port whose read
 * hits end of file closes as disconnected instead of reading again forever. Everything else
 * (open, write, poller, close) is the wrapped binding's own. On Windows (`platform` `win32`) it
 * returns `binding` itself, unchanged.
 */
export function hangupAwareBinding(binding: AutoDetectTypes, platform: NodeJS.Platform = process.platform): AutoDetectTypes | PosixHangupBinding {
  if (platform === 'win32') return binding;
  const posix = binding as LinuxBindingInterface | DarwinBindingInterface;
  const wrapped: PosixHangupBinding = {
    list: () => posix.list(),
    async open(options) {
      const port = await posix.open(options);
      port.read = (buffer: Buffer, offset: number, length: number) =>
        unixRead({ binding: port, buffer, offset, length, fsReadAsync: readOrHangUp as FileRead });
      return port;
    },
  };
  return wrapped;
}
