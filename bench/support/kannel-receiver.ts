/**
 * Kannel's receive on a simulated modem, for bench/modem-receive: a `bearerbox` with one `at`
 * SMSC on the modem's pseudo-terminal (no smsbox: received SMS wait in its spool store), and the
 * count of SMS it received, read from its status page. Kannel's own default at2 set-up: direct
 * `+CMT` deliveries, no `AT+CSMS=1`, no `AT+CNMA` (the modem acknowledges each SMS to the network
 * before Kannel has it). Available only where Kannel is installed (`/usr/sbin/bearerbox`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where Debian's package puts bearerbox. */
export const BEARERBOX = '/usr/sbin/bearerbox';

/** A running bearerbox. `stop` never rejects. */
export interface KannelReceiver {
  /** SMS bearerbox counts as received so far. */
  received(): Promise<number>;
  stop(): Promise<void>;
}

/** True when bearerbox can be started here. */
export function kannelAvailable(): boolean {
  return existsSync(BEARERBOX);
}

/**
 * Starts bearerbox in `dir` on the modem at `device` (whose own number is `msisdn`), with its
 * admin HTTP port `adminPort` (and `adminPort + 1` for the smsbox connection nobody makes);
 * resolves once its status page answers and the SMSC is online.
 */
export async function startKannelReceiver(dir: string, device: string, msisdn: string, adminPort: number): Promise<KannelReceiver> {
  await mkdir(join(dir, 'spool'), { recursive: true });
  const conf = join(dir, 'kannel.conf');
  await writeFile(conf, [
    'group = core', `admin-port = ${adminPort}`, 'admin-password = bench', 'status-password = bench', `smsbox-port = ${adminPort + 1}`,
    `log-file = "${join(dir, 'bearerbox.log')}"`, 'log-level = 2', 'box-allow-ip = 127.0.0.1', 'store-type = spool', `store-location = "${join(dir, 'spool')}"`, '',
    'group = smsbox', 'bearerbox-host = 127.0.0.1', '',
    'group = smsc', 'smsc = at', 'smsc-id = sim', 'modemtype = generic', `device = ${device}`, 'speed = 115200', `my-number = ${msisdn}`, '',
    'group = modems', 'id = generic', 'name = "Generic Modem"', '',
  ].join('\n'));
  const child: ChildProcess = spawn(BEARERBOX, [conf], { stdio: 'ignore' });
  let exited = false;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  }).then(() => {
    exited = true;
  });
  const status = async (): Promise<string> => {
    try {
      return await (await fetch(`http://127.0.0.1:${adminPort}/status.txt?password=bench`)).text();
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    if (!exited) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`bearerbox exited at start; see ${join(dir, 'bearerbox.log')}`);
    if (/\(online/.test(await status())) break;
    if (i >= 300) {
      await stop();
      throw new Error('bearerbox: the SMSC did not come online within 30 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    received: async () => Number(/SMS: received (\d+)/.exec(await status())?.[1] ?? 0),
    stop,
  };
}
