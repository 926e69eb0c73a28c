/**
 * SMS spend as operators see it: `/api/v1/devices` gives each device's SMS parts spent today,
 * `/metrics` the day's spend, the parts reserved and released, budget refusals and SMS per
 * operation kind, and the status page (a real headless chromium) the day's spend and a column
 * per device. Real gateway, Redis, simulated modem; a device speaking CoAP over SMS.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { AdminServer } from '../../../src/admin/admin-server.ts';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse } from '../../../src/lwm2m/index.ts';
import { silentLogger } from '../../../src/log/index.ts';
import { SmsDevice, UdpPeer, onCleanup, startGateway, useRelayFixture } from '../relay/relay-fixture.ts';

useRelayFixture();

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'sms-spend-token-0123456789';

describe('SMS spend in the admin API, metrics and status page', () => {
  it('shows what a device was sent today, the day\'s spend, refusals and SMS per operation kind', async () => {
    const core = await UdpPeer.open();
    const { gateway, network } = await startGateway(core, { smsBudget: { perDevicePerDay: 1 } });
    const admin = await AdminServer.start(gateway, { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, tokens: { readWrite: TOKEN, readOnly: null }, version: 'test', logger: silentLogger() });
    onCleanup(() => admin.stop());
    const device = await SmsDevice.attach(network, '491709200001');
    await device.send(coapRequest({ code: CoapCode.POST, messageId: 0x4001, token: Uint8Array.of(4), path: ['rd'], query: ['ep=spend-dev', 'lt=300', 'lwm2m=1.0', 'b=S'], contentFormat: 40, payload: '</3/0>' }));
    await expect.poll(() => core.received.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const { message, from } = core.received.shift()!;
    core.send(coapResponse(message, CoapCode.CREATED, undefined, { options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('s1') }] }), from.port);
    await expect.poll(() => device.received.length, { timeout: 10_000 }).toBe(1);
    core.send(coapRequest({ code: CoapCode.GET, messageId: 0x6001, token: Uint8Array.of(6), path: ['3', '0'] }), from.port); // over budget: refused
    await expect.poll(() => core.received.some((r) => r.message.code === CoapCode.SERVICE_UNAVAILABLE), { timeout: 5000 }).toBe(true);

    const get = async (path: string): Promise<Response> => fetch(`${admin.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const devices = (await (await get('/api/v1/devices')).json()) as { devices: { endpoint: string; smsSpentToday: number }[] };
    expect(devices.devices).toEqual([expect.objectContaining({ endpoint: 'spend-dev', smsSpentToday: 1 })]);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/^smsbridge_sms_spend_parts_today 1$/m);
    expect(metrics).toMatch(/^smsbridge_sms_spend_parts_total\{state="reserved"\} 1$/m);
    expect(metrics).toMatch(/^smsbridge_sms_budget_refusals_total\{reason="budget_exhausted"\} 1$/m);
    expect(metrics).toMatch(/^smsbridge_sms_operations_total\{direction="received",kind="register"\} 1$/m);
    expect(metrics).toMatch(/^smsbridge_sms_operations_total\{direction="sent",kind="response"\} 1$/m);
    expect(metrics).toMatch(/^smsbridge_sms_operations_total\{direction="sent",kind="read"\} 0$/m);

    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run bash .ci/ensure-system-packages (installs Debian's chromium)`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    onCleanup(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${admin.url}/status#token=${TOKEN}`);
    const row = page.locator('tr[data-endpoint="spend-dev"]');
    await row.waitFor({ timeout: 30_000 });
    // The column by its heading: columns come and go (presence was added before it).
    const headings = await page.locator('#devices thead th').allTextContents();
    expect(headings).toContain('SMS today');
    expect((await row.locator('td').allTextContents())[headings.indexOf('SMS today')]).toBe('1');
    await page.locator('#spend', { hasText: '1' }).waitFor({ timeout: 30_000 });
  }, 120_000);
});
