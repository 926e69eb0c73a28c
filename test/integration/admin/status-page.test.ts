/**
 * The live status page in a real headless browser (Debian's chromium driven by playwright-core)
 * against a real gateway and admin API: what a person sees. A modem unplugged in the simulator
 * turns red, a device that registers appears, a queued job is counted, all without reloading
 * (server-sent events); the queue board opens from the page with the tab's token.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { AdminServer } from '../../../src/admin/admin-server.ts';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse } from '../../../src/lwm2m/index.ts';
import { silentLogger } from '../../../src/log/index.ts';
import { startPrivateRedis } from '../../support/private-redis.ts';
import { UdpPeer, onCleanup, startGateway, useRelayFixture } from '../relay/relay-fixture.ts';

useRelayFixture();

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'status-page-token-0123456789';
/** Safety net only; the page is waited on for what it shows. */
const SHOWN_MS = 30_000;

async function openBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run bash .ci/ensure-system-packages (installs Debian's chromium)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  onCleanup(() => browser.close());
  return browser;
}

async function stateBackground(page: Page, modem: string): Promise<string> {
  return page.locator(`tr[data-modem="${modem}"] .state`).evaluate((element) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(element).backgroundColor);
}

describe('status page', () => {
  it('shows modems, devices and queues live: an unplugged modem turns red, a registered device appears, a queued job is counted; the board opens', async () => {
    const core = await UdpPeer.open();
    const { gateway, modem } = await startGateway(core);
    const admin = await AdminServer.start(gateway, { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, tokens: { readWrite: TOKEN, readOnly: null }, version: 'test', logger: silentLogger() });
    onCleanup(() => admin.stop());
    const browser = await openBrowser();
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`${admin.url}/status#token=${TOKEN}`);

    const row = page.locator('tr[data-modem="gw-modem"]');
    await row.locator('.state', { hasText: 'ready' }).waitFor({ timeout: SHOWN_MS });
    expect(await stateBackground(page, 'gw-modem')).toBe('rgb(200, 240, 200)');
    expect(page.url()).not.toContain(TOKEN); // taken out of the address bar
    expect(await page.locator('#connection').textContent()).toBe('live');
    expect(await page.locator('#redis').textContent()).toBe('ready');

    await modem.unplug();
    await row.locator('.state', { hasText: 'disconnected' }).waitFor({ timeout: SHOWN_MS });
    expect(await stateBackground(page, 'gw-modem')).toBe('rgb(220, 40, 40)');

    const device = await UdpPeer.open();
    device.send(coapRequest({ code: CoapCode.POST, messageId: 0x7101, token: Uint8Array.of(7), path: ['rd'], query: ['ep=page-dev-1', 'lt=300', 'lwm2m=1.0', 'b=U'], contentFormat: 40, payload: '</3/0>' }), gateway.udpAddress.port);
    await expect.poll(() => core.received.length, { timeout: SHOWN_MS }).toBeGreaterThan(0);
    const { message, from } = core.received.shift()!;
    core.send(coapResponse(message, CoapCode.CREATED, undefined, { options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('p1') }] }), from.port);
    const deviceRow = page.locator('tr[data-endpoint="page-dev-1"]');
    await deviceRow.waitFor({ timeout: SHOWN_MS });
    await expect.poll(async () => (await deviceRow.locator('td').allTextContents()).slice(0, 5), { timeout: SHOWN_MS }).toEqual(['page-dev-1', 'udp', 'U', 'yes', 'awake']);

    // The queue counts: a job put off for an hour shows up as delayed, without reloading.
    const delayed = page.locator('tr[data-queue="wakeup"] td[data-state="delayed"]');
    await expect.poll(() => delayed.textContent(), { timeout: SHOWN_MS }).toBe('0');
    await gateway.queues[0]!.add('probe', { endpoint: 'page-probe', source: 'admin', requestedAtMs: Date.now() }, { jobId: 'page-probe', delay: 3_600_000 });
    await expect.poll(() => delayed.textContent(), { timeout: SHOWN_MS }).toBe('1');
    expect(await page.locator('#queues th').allTextContents()).toEqual(expect.arrayContaining(['Queue', 'waiting', 'active', 'delayed', 'failed']));

    expect(consoleErrors).toEqual([]); // nothing refused on the way (a favicon asked without a token was: 401)

    // The queue board link logs the tab in with its token (an HttpOnly cookie) and shows the queue.
    await page.locator('#board').click();
    await page.waitForURL(/\/queues\/$/, { timeout: SHOWN_MS });
    await page.getByText('wakeup').first().waitFor({ timeout: SHOWN_MS });
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite, c.path])).toEqual([['smsbridge-board', true, 'Strict', '/queues']]);
    expect(page.url()).not.toContain(TOKEN);
  }, 120_000);

  it('asks for a token when it has none, and says when the token is refused', async () => {
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core);
    const admin = await AdminServer.start(gateway, { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, tokens: { readWrite: TOKEN, readOnly: null }, version: 'test', logger: silentLogger() });
    onCleanup(() => admin.stop());
    const browser = await openBrowser();
    const page = await browser.newPage();
    await page.goto(`${admin.url}/status`);
    await page.locator('#login').waitFor({ state: 'visible', timeout: SHOWN_MS });
    expect(await page.locator('tr[data-modem]').count()).toBe(0);
    await page.locator('#token').fill('wrong-token-0123456789');
    await page.locator('#login button').click();
    await page.locator('#connection', { hasText: 'the token was refused' }).waitFor({ timeout: SHOWN_MS });
    await page.locator('#token').fill(TOKEN);
    await page.locator('#login button').click();
    await page.locator('tr[data-modem="gw-modem"]').waitFor({ timeout: SHOWN_MS });
  }, 120_000);

  it('shows Redis red and the queue counts unknown while Redis is away, without reloading', async () => {
    const redis = await startPrivateRedis();
    onCleanup(() => redis.stop());
    const core = await UdpPeer.open();
    const { gateway } = await startGateway(core, { redisUrl: redis.url });
    const admin = await AdminServer.start(gateway, { host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, tokens: { readWrite: TOKEN, readOnly: null }, version: 'test', logger: silentLogger() });
    onCleanup(() => admin.stop());
    const browser = await openBrowser();
    const page = await browser.newPage();
    await page.goto(`${admin.url}/status#token=${TOKEN}`);
    await page.locator('#redis', { hasText: 'ready' }).waitFor({ timeout: SHOWN_MS });
    await page.locator('tr[data-queue="wakeup"]').waitFor({ timeout: SHOWN_MS });
    expect(await page.locator('#queues-unknown').isVisible()).toBe(false);

    await redis.stop();
    await page.locator('#redis', { hasText: 'away: queue counts and wake-ups are unavailable' }).waitFor({ timeout: SHOWN_MS });
    expect(await page.locator('#redis').evaluate((element) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(element).backgroundColor)).toBe('rgb(220, 40, 40)');
    await page.locator('#queues-unknown').waitFor({ state: 'visible', timeout: SHOWN_MS });
    expect(await page.locator('#connection').textContent()).toBe('live');
  }, 120_000);
});
