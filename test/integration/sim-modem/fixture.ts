/**
 * Set-up and clean-up for simulated-modem integration tests: temp dirs for the pty links, the
 * simulated network, modems and host ports, all released in reverse order after each test.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { SimModem, type SimModemOptions } from '../../../src/sim/modem/index.ts';
import { SimNetwork, type SimNetworkOptions } from '../../../src/sim/network/sim-network.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { HostPort, tempDir } from './host-port.ts';

const cleanups: Array<() => Promise<void>> = [];

/** Registers the after-each clean-up of everything created through this module. */
export function useCleanup(): void {
  afterEach(async () => {
    // Every clean-up runs even when one fails, so no socat or temp dir outlives its test.
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw errors[0];
  });
}

/** A simulated network on a free port. */
export async function startNetwork(options: SimNetworkOptions = {}): Promise<SimNetwork> {
  const network = await SimNetwork.start({ deliveryDelayMs: 0, ...options });
  cleanups.push(() => network.stop());
  return network;
}

/** Options of {@link startModem}: everything of SimModemOptions but the link path. */
export type TestModemOptions = Partial<Omit<SimModemOptions, 'linkPath'>>;

/** A modem on a pty in a fresh temp dir, and a host port opened on it. */
export async function startModem(options: TestModemOptions = {}): Promise<{ modem: SimModem; host: HostPort }> {
  const dir = await tempDir();
  cleanups.push(dir.remove);
  const modem = await SimModem.start({ msisdn: '+491700000001', network: null, registerDelayMs: 0, ...options, linkPath: join(dir.path, 'ttySIM0') });
  cleanups.push(async () => {
    await modem.stop();
    if (await exists(modem.linkPath)) throw new Error(`link ${modem.linkPath} left behind`);
  });
  const host = await openHost(modem.linkPath);
  return { modem, host };
}

/** Opens a host port on `path`, closed after the test. */
export async function openHost(path: string): Promise<HostPort> {
  const host = await HostPort.open(path);
  cleanups.push(() => host.close());
  return host;
}

/** True when `path` exists (a symlink counts, even a dangling one). */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** A one-part SMS-SUBMIT for `to` with an empty SMSC field: hex and `AT+CMGS` length. */
export function submitPdu(to: string, text: string, statusReportRequest = false): { hex: string; tpduLength: number } {
  const [part] = splitIntoSubmitPdus({ destination: to, payload: { text }, statusReportRequest });
  if (part === undefined) throw new Error('no part');
  return { hex: part.hex, tpduLength: part.tpduLength };
}

/** Sends an SMS through the host's modem with AT+CMGS; returns the response after the PDU. */
export async function sendSms(host: HostPort, pdu: { hex: string; tpduLength: number }): Promise<string> {
  await host.write(`AT+CMGS=${pdu.tpduLength}\r`);
  await host.waitFor('> ');
  await host.write(`${pdu.hex}\u001a`);
  return host.waitFor(/\r\n(?:OK|ERROR|\+CMS ERROR: [^\r\n]*)\r\n/);
}
