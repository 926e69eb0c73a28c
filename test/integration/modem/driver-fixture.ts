/**
 * Set-up for modem-driver tests: a simulated network, simulated modems on real pseudo-terminals,
 * a private Redis with the inbox, drivers with short timers, and "devices" (network subscribers)
 * that send SMS to a modem. Everything is released after each test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { RedisInbox } from '../../../src/inbox/redis-inbox.ts';
import { ModemDriver } from '../../../src/modem/modem-driver.ts';
import { MODEM_CONFIG_DEFAULTS, type ModemConfig, type PersistReceived } from '../../../src/modem/modem-types.ts';
import { loadProfiles, defaultProfilesDir } from '../../../src/modem/profile-loader.ts';
import { GENERIC_PROFILE, type ModemProfile } from '../../../src/modem/profile.ts';
import { SimModem, type SimModemOptions } from '../../../src/sim/modem/index.ts';
import { SimNetworkClient } from '../../../src/sim/network/network-client.ts';
import { SimNetwork } from '../../../src/sim/network/sim-network.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { useTestScope, type TestScope } from '../../support/test-scope.ts';

let scope: TestScope | null = null;
const cleanups = {
  push(cleanup: () => Promise<unknown>): void {
    if (scope === null) throw new Error('call the fixture\'s use…Fixture() first');
    scope.onCleanup(cleanup);
  },
};

/** Registers the hooks: one private Redis per file, clean-up after each test. */
export function useDriverFixture(): void {
  scope = useTestScope();
}

/** Runs `cleanup` after the current test, before the fixture's earlier clean-ups (reverse order). */
export function onCleanup(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}

/** The Redis connection of this file. */
export function redis(): Redis {
  if (scope === null) throw new Error('call useDriverFixture() first');
  return scope.redis();
}

export const PROFILES: readonly ModemProfile[] = loadProfiles(defaultProfilesDir());

/**
 * A test profile: the generic one with exactly the given CNMI preference (forces an indication
 * mode: direct delivery is not added in front of it).
 */
export function profileWithCnmi(name: string, cnmi: string, statusReportRoute: ModemProfile['statusReportRoute'] = 'cdsi'): ModemProfile {
  return { ...GENERIC_PROFILE, name, match: {}, cnmiPreferences: [cnmi], statusReportRoute, directDelivery: false, resetSettleMs: 200 };
}

export async function startNetwork(): Promise<SimNetwork> {
  const network = await SimNetwork.start({ deliveryDelayMs: 0, retryIntervalMs: 200 });
  cleanups.push(() => network.stop());
  return network;
}

/** A simulated modem attached to `network`, on a pty in a fresh temp dir. */
export async function startSimModem(network: SimNetwork | null, options: Partial<Omit<SimModemOptions, 'linkPath' | 'network'>> = {}): Promise<SimModem> {
  const dir = await mkdtemp(join(tmpdir(), 'smsbridge-drv-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const modem = await SimModem.start({
    msisdn: '+491700000001', registerDelayMs: 0, rebootDelayMs: 100, ...options,
    network: network?.address ?? null, linkPath: join(dir, 'ttyModem'),
  });
  cleanups.push(() => modem.stop());
  return modem;
}

/** Short timers so tests see escalation and reopening quickly. */
export function testConfig(name: string, path: string, overrides: Partial<ModemConfig> = {}): ModemConfig {
  return {
    ...MODEM_CONFIG_DEFAULTS, name, path, simWaitMs: 3000, registrationWaitMs: 3000, watchdogIntervalMs: 300,
    sweepIntervalMs: 60_000, escalateAfterErrors: 2, blockAfterErrors: 50, blockTimeMs: 1000,
    presenceCheckIntervalMs: 100, reopenMinDelayMs: 100, reopenMaxDelayMs: 500, ...overrides,
  };
}

/** An inbox on the file's Redis. */
export function inbox(): RedisInbox {
  return new RedisInbox(redis());
}

/** A driver persisting into `persist` (the inbox by default), started, and stopped after the test. */
export function startDriver(config: ModemConfig, profiles: readonly ModemProfile[] = PROFILES, persist?: PersistReceived): ModemDriver {
  const box = inbox();
  const driver = new ModemDriver(config, { profiles, persist: persist ?? (async (pdu) => void (await box.accept(pdu))) });
  cleanups.push(() => driver.stop());
  driver.start();
  return driver;
}

/** A device: a network subscriber that sends binary SMS to the gateway's modem. */
export async function startDevice(network: SimNetwork, msisdn: string): Promise<{ client: SimNetworkClient; send: (to: string, data: Uint8Array, reference?: number) => Promise<void> }> {
  const client = await SimNetworkClient.connect({ ...network.address, msisdn });
  cleanups.push(() => client.close());
  client.on('deliver', (d) => client.ack(d.deliveryId, true));
  return {
    client,
    send: async (to, data, reference = 1) => {
      for (const part of splitIntoSubmitPdus({ destination: to, payload: { data }, concatReference: reference })) {
        const result = await client.submit(part.hex.slice(2)); // without the SMSC field (00)
        if (!result.ok) throw new Error(`network refused: ${JSON.stringify(result)}`);
      }
    },
  };
}

export const bytes = (length: number, seed = 1): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
export const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');
