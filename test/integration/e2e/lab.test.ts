/**
 * End to end, nothing faked: simulated LwM2M devices → simulated SMS network → simulated modems
 * on pseudo-terminals → the gateway (serialport, Redis, UDP) → the lab core, and back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Lab } from '../../../src/lab/lab.ts';
import { objectLinkList } from '../../../src/sim/device/index.ts';

let lab: Lab | null = null;
afterEach(async () => {
  await lab?.stop();
  lab = null;
});

async function startLab(awakeWindowMs = 93_000): Promise<Lab> {
  lab = await Lab.start({ cmgsLatencyMs: 50, networkDelayMs: 10, gateway: { awakeWindowMs, maintenanceIntervalMs: 200 }, core: { responseTimeoutMs: 20_000 } });
  return lab;
}

describe('end to end through the lab', () => {
  it('an SMS-only device registers, is read, updates and de-registers, all over SMS', async () => {
    const lab = await startLab();
    const device = await lab.addDevice({ msisdn: '+491701230001', endpoint: 'e2e-sms', binding: 'S', lifetimeSec: 60, updateIntervalMs: 1500, deregisterOnStop: true });
    await expect.poll(() => lab.core.client('e2e-sms')?.endpoint, { timeout: 15_000 }).toBe('e2e-sms');
    expect(lab.core.client('e2e-sms')).toMatchObject({ binding: 'S', lifetimeSec: 60 });
    await expect.poll(() => lab.gateway.mirror.get('e2e-sms')?.registered, { timeout: 5000 }).toBe(true);

    const response = await lab.core.read('e2e-sms', '/3/0');
    expect(response.code).toBe('2.05');
    expect(device.stats.readsAnswered).toBe(1);
    expect(device.stats.udpSent).toBe(0); // everything went by SMS

    await expect.poll(() => device.stats.updates, { timeout: 10_000 }).toBeGreaterThan(0);
    const smsBefore = device.stats.smsSent;
    await device.stop(); // sends De-register over SMS
    expect(device.stats.smsSent).toBeGreaterThan(smsBefore);
    await expect.poll(() => lab.core.client('e2e-sms'), { timeout: 10_000 }).toBeNull();
    await expect.poll(() => lab.gateway.mirror.get('e2e-sms'), { timeout: 5000 }).toBeUndefined();
  }, 60_000);

  it('a device that goes silent past its lifetime is expired by the mirror (and the core)', async () => {
    const lab = await startLab();
    const lost: string[] = [];
    lab.gateway.mirror.on('lost', (record) => lost.push(record.endpoint));
    const device = await lab.addDevice({ msisdn: '+491701230002', endpoint: 'e2e-silent', binding: 'S', lifetimeSec: 3, updateIntervalMs: 3_600_000, deregisterOnStop: false });
    await expect.poll(() => lab.gateway.mirror.get('e2e-silent')?.registered, { timeout: 15_000 }).toBe(true);
    await device.stop();
    await expect.poll(() => lost, { timeout: 10_000 }).toEqual(['e2e-silent']);
    await expect.poll(() => lab.core.client('e2e-silent'), { timeout: 10_000 }).toBeNull();
  }, 40_000);

  it('a Register larger than one SMS arrives whole (concatenated SMS both ways)', async () => {
    const lab = await startLab();
    const links = objectLinkList(24);
    const device = await lab.addDevice({ msisdn: '+491701230003', endpoint: 'e2e-big', binding: 'S', objectLinks: links });
    await expect.poll(() => lab.core.client('e2e-big')?.endpoint, { timeout: 15_000 }).toBe('e2e-big');
    expect(device.stats.smsSent).toBeGreaterThan(1);
    expect(lab.core.client('e2e-big')?.linkFormat).toBe(links);
  }, 40_000);

  it('a UQS device is reached over UDP while awake and over SMS once asleep', async () => {
    const lab = await startLab(1500);
    const device = await lab.addDevice({ msisdn: '+491701230004', endpoint: 'e2e-uqs', binding: 'UQS', awakeWindowMs: 1500 });
    await expect.poll(() => lab.core.client('e2e-uqs')?.endpoint, { timeout: 15_000 }).toBe('e2e-uqs');
    expect((await lab.core.read('e2e-uqs', '/3/0')).code).toBe('2.05'); // just registered: awake, UDP
    expect(device.stats.smsReceived).toBe(0);
    await new Promise((r) => setTimeout(r, 2500)); // asleep now (gateway and device agree)
    expect((await lab.core.read('e2e-uqs', '/3/0')).code).toBe('2.05');
    expect(device.stats.smsReceived).toBeGreaterThan(0); // the request came by SMS
    expect(device.stats.readsAnswered).toBe(2);
  }, 40_000);
});
