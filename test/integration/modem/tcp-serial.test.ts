/**
 * The modem driver through a raw TCP serial server (`tcp://host:port`), as ser2net or a terminal
 * server offers it: a simulated modem on a pty, bridged to TCP by `socat`, the driver connecting
 * over TCP. Sending, receiving, and the bridge going away and coming back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModemState } from '../../../src/modem/modem-types.ts';
import { decodePdu, splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { bytes, hex, inbox, startDevice, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();

const GATEWAY = '+491700000301';
const bridges = new Set<ChildProcess>();

afterEach(async () => {
  await Promise.all([...bridges].map((bridge) => stopBridge(bridge)));
});

/** A TCP port that is free now (the bridge binds it a moment later; `reuseaddr` covers TIME_WAIT). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * `socat TCP-LISTEN:<port> FILE:<pty>`: one TCP client at a time relayed to the modem's pty, as a
 * terminal server does. Without `fork` socat serves one connection and exits when it ends.
 */
function startBridge(port: number, ptyPath: string): ChildProcess {
  const bridge = spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `FILE:${ptyPath},rawer`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  bridge.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  bridge.once('error', (error) => {
    stderr += `spawn failed: ${error.message}`;
  });
  bridges.add(bridge);
  bridge.once('exit', () => {
    bridges.delete(bridge);
    if (stderr.trim() !== '') console.warn(`socat bridge on ${port}: ${stderr.trim()}`);
  });
  return bridge;
}

async function stopBridge(bridge: ChildProcess): Promise<void> {
  if (bridge.exitCode !== null || bridge.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => bridge.once('exit', () => resolve()));
  bridge.kill('SIGTERM');
  const timer = setTimeout(() => bridge.kill('SIGKILL'), 1000);
  await exited;
  clearTimeout(timer);
}

describe('ModemDriver over a TCP serial server', () => {
  it('becomes ready over tcp://, sends and receives, goes disconnected when the bridge dies and ready when it is back', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network, { msisdn: GATEWAY });
    const device = await startDevice(network, '+491709990301');
    const received: string[] = [];
    device.client.on('deliver', (d) => {
      if (d.kind !== 'deliver') return;
      const pdu = decodePdu(d.pduHex);
      if (pdu.type === 'deliver') received.push(`${pdu.originator.value}:${hex(pdu.userData.data)}`);
    });

    const port = await freePort();
    const first = startBridge(port, sim.linkPath);
    // Until socat listens, connecting is refused and the driver retries (reopenMinDelayMs 100).
    const driver = startDriver(testConfig('tcp', `tcp://127.0.0.1:${port}`));
    await driver.waitFor('ready', 10_000);
    expect(driver.status).toMatchObject({ path: `tcp://127.0.0.1:${port}`, registered: true });
    expect(driver.status.identity?.imei).toMatch(/^\d{15}$/);

    // Send one SMS through the bridge.
    const to = '+491709990301';
    const result = await driver.send({ messageId: 'tcp-1', recipient: to, parts: splitIntoSubmitPdus({ destination: to, payload: { data: bytes(40, 3) } }) });
    expect(result.failure).toBeNull();
    expect(sim.stats.smsSubmitted).toBe(1);
    await expect.poll(() => received, { timeout: 5000 }).toEqual([`${GATEWAY.slice(1)}:${hex(bytes(40, 3))}`]);

    // Receive one SMS through the bridge.
    await device.send(GATEWAY, bytes(50, 4));
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 5000 }).toBe(1);
    const [entry] = await inbox().messages();
    expect(entry?.message).toMatchObject({ originator: '+491709990301', dataHex: hex(bytes(50, 4)), modems: ['tcp'] });

    // The terminal server goes away: the connection ends, the driver reopens with back-off.
    const states: ModemState[] = [];
    driver.on('state', (s) => states.push(s));
    await stopBridge(first);
    await expect.poll(() => driver.state, { timeout: 5000 }).toBe('disconnected');
    await new Promise((r) => setTimeout(r, 600)); // a few refused reconnects
    expect(driver.state).not.toBe('ready');
    expect(driver.status.counters.reopens).toBeGreaterThan(0);
    await expect(driver.send({ messageId: 'tcp-x', recipient: to, parts: [] })).rejects.toMatchObject({ code: 'GW_ERR_MODEM_UNAVAILABLE' });

    // It comes back on the same port: the driver reconnects, re-initialises and works again.
    startBridge(port, sim.linkPath);
    await driver.waitFor('ready', 10_000);
    expect(states).toContain('disconnected');
    expect(states).toContain('initialising');
    const again = await driver.send({ messageId: 'tcp-2', recipient: to, parts: splitIntoSubmitPdus({ destination: to, payload: { data: bytes(30, 5) } }) });
    expect(again.failure).toBeNull();
    await expect.poll(() => received.length, { timeout: 5000 }).toBe(2);
    await device.send(GATEWAY, bytes(20, 6), 2);
    await expect.poll(async () => (await inbox().messages()).length, { timeout: 5000 }).toBe(2);
  }, 30_000);
});
