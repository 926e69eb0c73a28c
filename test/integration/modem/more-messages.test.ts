/**
 * `AT+CMMS=1` (TS 27.005 §3.5.6, keep the relay link up between messages) against a simulated
 * modem on a real pseudo-terminal and the simulated network: sent when more than one SMS is
 * queued for the modem (several messages, or the parts of one), not for a lone SMS, and never on
 * a profile whose modems reject it. The simulator sets up a relay link for each submit unless a
 * CMMS hold keeps the previous one, so its count shows the effect.
 */
import { describe, expect, it } from 'vitest';
import { ModemPool } from '../../../src/modem/modem-pool.ts';
import type { SendRequest } from '../../../src/modem/modem-types.ts';
import { GENERIC_PROFILE, type ModemProfile } from '../../../src/modem/profile.ts';
import { SIM_PROFILES } from '../../../src/sim/modem/profiles.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { bytes, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();

function message(id: string, size: number, concatReference = 0): SendRequest {
  const to = '+491709990100';
  return { messageId: id, recipient: to, parts: splitIntoSubmitPdus({ destination: to, payload: { data: bytes(size, id.length) }, concatReference }) };
}

/** A pool of one driver on a fresh simulated modem; `log` gets every AT command the host sent. */
async function rig(options: { profiles?: readonly ModemProfile[]; profile?: string; simRejectsCmms?: boolean } = {}): Promise<{ pool: ModemPool; commands: string[]; relayLinkSetups: () => number }> {
  const network = await startNetwork();
  const simProfile = options.simRejectsCmms === true ? { ...SIM_PROFILES.generic, moreMessagesToSend: false } : SIM_PROFILES.generic;
  const sim = await startSimModem(network, { profile: simProfile, relayLinkSetupMs: 20, cmmsHoldMs: 60_000 });
  const driver = startDriver(testConfig('a', sim.linkPath, options.profile === undefined ? {} : { profile: options.profile }), options.profiles);
  await driver.waitFor('ready', 10_000);
  await driver.sweep();
  const commands: string[] = [];
  driver.on('trace', (direction, line) => {
    if (direction === 'tx' && line.startsWith('AT')) commands.push(line);
  });
  return { pool: new ModemPool([{ driver, groups: [], maxPartsPerSec: 0 }]), commands, relayLinkSetups: () => sim.stats.relayLinkSetups };
}

const sends = (commands: readonly string[]): number => commands.filter((c) => c.startsWith('AT+CMGS=')).length;

describe('ModemDriver: AT+CMMS=1 when more SMS are queued', () => {
  it('a lone single-part SMS goes without AT+CMMS', async () => {
    const { pool, commands, relayLinkSetups } = await rig();
    const result = await pool.send(message('lone', 40));
    expect(result.failure).toBeNull();
    expect(commands.filter((c) => c.startsWith('AT+CMMS'))).toEqual([]);
    expect(sends(commands)).toBe(1);
    expect(relayLinkSetups()).toBe(1);
  });

  it('several messages queued at once: AT+CMMS=1 before the first, and the link is set up once', async () => {
    const { pool, commands, relayLinkSetups } = await rig();
    const results = await Promise.all([1, 2, 3, 4].map((i) => pool.send(message(`m${i}`, 40))));
    expect(results.every((r) => r.failure === null)).toBe(true);
    expect(commands[0]).toBe('AT+CMMS=1');
    expect(sends(commands)).toBe(4);
    expect(relayLinkSetups()).toBe(1);
  });

  it('the parts of one concatenated message count as queued SMS', async () => {
    const { pool, commands } = await rig();
    const request = message('long', 400, 7);
    expect(request.parts.length).toBe(3);
    expect((await pool.send(request)).failure).toBeNull();
    expect(commands[0]).toBe('AT+CMMS=1');
    expect(sends(commands)).toBe(3);
  });

  it('never sent on a profile whose modems reject it (moreMessagesToSend: false)', async () => {
    const noCmms: ModemProfile = { ...GENERIC_PROFILE, name: 'no-cmms', match: {}, moreMessagesToSend: false };
    const { pool, commands, relayLinkSetups } = await rig({ profiles: [noCmms], profile: 'no-cmms' });
    const results = await Promise.all([1, 2, 3].map((i) => pool.send(message(`n${i}`, 40))));
    expect(results.every((r) => r.failure === null)).toBe(true);
    expect(commands.some((c) => c.startsWith('AT+CMMS'))).toBe(false);
    expect(relayLinkSetups()).toBe(3);
  });

  it('a modem that refuses AT+CMMS=1 anyway still sends everything, and is not asked again', async () => {
    const { pool, commands } = await rig({ simRejectsCmms: true });
    const first = await Promise.all([1, 2].map((i) => pool.send(message(`r${i}`, 40))));
    const second = await Promise.all([3, 4].map((i) => pool.send(message(`r${i}`, 40))));
    expect([...first, ...second].every((r) => r.failure === null)).toBe(true);
    expect(commands.filter((c) => c === 'AT+CMMS=1')).toHaveLength(1);
    expect(sends(commands)).toBe(4);
  });
});
