/**
 * A trigger must leave from the modem whose number the device accepts as its server's. The lab
 * has two modems; the UQS device is provisioned with the second one's number and registers over
 * UDP, so the gateway cannot learn the modem from its traffic: the device group says it. Without
 * that knowledge the core is told 5.03 at once instead of an empty ACK and an SMS the device
 * would ignore. Everything real: simulated devices, network, modems on pseudo-terminals, Redis.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../../src/lab/lab.ts';
import type { SimDevice } from '../../../src/sim/device/index.ts';

let lab: Lab | null = null;
afterEach(async () => {
  await lab?.stop();
  lab = null;
});

const UQS_DEVICE = { msisdn: '+491701240001', endpoint: 'uqs-on-modem-2', binding: 'UQS', modem: 1, lifetimeSec: 120, awakeWindowMs: 300 } as const;

async function startLab(gateway: Record<string, unknown> = {}): Promise<{ lab: Lab; device: SimDevice }> {
  lab = await Lab.start({
    cmgsLatencyMs: 50, networkDelayMs: 10, devices: [UQS_DEVICE],
    gateway: { awakeWindowMs: 300, maintenanceIntervalMs: 200, ...gateway }, core: { responseTimeoutMs: 20_000 },
  });
  const device = lab.devices[0]!;
  await expect.poll(() => lab!.gateway.mirror.get(UQS_DEVICE.endpoint)?.registered, { timeout: 15_000 }).toBe(true);
  expect(lab.gateway.mirror.get(UQS_DEVICE.endpoint)).toMatchObject({ lastBearer: 'udp', smsModem: null });
  return { lab, device };
}

describe('the server modem of a device', () => {
  it('triggers /1/0/8 to a UQS device registered over UDP leave from the modem it knows, and reach it', async () => {
    const { lab, device } = await startLab();
    for (let trigger = 1; trigger <= 2; trigger++) {
      await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false); // asleep: the gateway must use SMS
      const response = await lab.core.execute(UQS_DEVICE.endpoint, '/1/0/8');
      expect(response.code).toBe('2.04');
      expect(device.stats.executes).toBe(trigger);
    }
    expect(device.stats.smsIgnored).toBe(0);
    const status = await lab.gateway.status();
    expect(status.modems.map((m) => m.counters.sent)).toEqual([0, 2]); // both from modem-2, none wasted
  }, 60_000);

  it('answers the core 5.03 at once when no modem is known to be the device\'s server number, and sends no SMS', async () => {
    const { lab, device } = await startLab({ deviceGroups: [] });
    await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false);
    const response = await lab.core.execute(UQS_DEVICE.endpoint, '/1/0/8');
    expect(response.code).toBe('5.03');
    expect(lab.gateway.relay.counters.refused).toBe(1);
    const status = await lab.gateway.status();
    expect(status.modems.map((m) => m.counters.sent)).toEqual([0, 0]);
    expect(device.stats.smsReceived).toBe(0);
  }, 60_000);

  it('sends no SMS from another modem when the device\'s modem is down: the core gets 5.03 once the modem has not come back', async () => {
    // The request waits for the device's modem up to outboundSms.modemComebackWaitMs (60 s by default), then 5.03.
    const { lab, device } = await startLab({ outboundSms: { modemComebackWaitMs: 1000 } });
    await lab.modems[1]!.stop(); // modem-2, the device's server number, is unplugged
    await expect.poll(() => ['ready', 'degraded'].includes(lab.gateway.pool.drivers[1]!.state), { timeout: 20_000 }).toBe(false);
    await expect.poll(() => device.awake, { timeout: 10_000 }).toBe(false);
    const response = await lab.core.execute(UQS_DEVICE.endpoint, '/1/0/8');
    expect(response.code).toBe('5.03');
    expect(lab.gateway.pool.drivers[0]!.status.counters.sent).toBe(0); // nothing wasted on modem-1
    expect(device.stats.smsReceived).toBe(0);
  }, 60_000);
});

