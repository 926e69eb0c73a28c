/**
 * `stop()` at any point leaves the port closed and the modem quiet: right after `start()`, during
 * initialisation, during a send, and during the back-off before a reopen. "Closed" is checked
 * the way another program would find it: the port opens exclusively (serialport locks it, so
 * this fails while the driver still holds it); "quiet" by a round trip of our own, after which
 * the simulated modem must have seen exactly our command and nothing from the driver.
 */
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AtChannel } from '../../../src/modem/at-channel.ts';
import { ModemDriver } from '../../../src/modem/modem-driver.ts';
import type { ModemState } from '../../../src/modem/modem-types.ts';
import { openSerialLink } from '../../../src/modem/serial-link.ts';
import type { SimModem } from '../../../src/sim/modem/index.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { bytes, startDevice, startDriver, startNetwork, startSimModem, testConfig, useDriverFixture } from './driver-fixture.ts';

useDriverFixture();

function recordStates(driver: ModemDriver): ModemState[] {
  const states: ModemState[] = [];
  driver.on('state', (state) => states.push(state));
  return states;
}

/** The port is free (an exclusive open succeeds) and the modem hears only our own `AT`. */
async function expectClosedAndQuiet(sim: SimModem): Promise<void> {
  const link = await openSerialLink(sim.linkPath);
  try {
    const channel = new AtChannel(link.stream, {});
    const before = sim.stats.commandLines;
    await channel.command('AT');
    expect(sim.stats.commandLines).toBe(before + 1);
    channel.close();
  } finally {
    await link.close();
  }
}

describe('ModemDriver.stop()', () => {
  it('right after start(): the port opened meanwhile is closed, no init command is sent, the state stays stopped', async () => {
    const sim = await startSimModem(null);
    const driver = startDriver(testConfig('a', sim.linkPath));
    const states = recordStates(driver);
    await driver.stop();
    expect(driver.state).toBe('stopped');
    await expectClosedAndQuiet(sim);
    expect(sim.stats.commandLines).toBe(1); // only ours
    expect(states).toEqual(['stopped']); // 'opening' was emitted by start(), before we listened
    expect(driver.state).toBe('stopped');
  });

  it('right after start() on a tcp:// port: the terminal server sees the connection close without one byte', async () => {
    // Deterministic form of the case above: the connection that was in progress when stop() was
    // called is seen by the server, which then waits for it to close.
    const server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const driver = new ModemDriver(testConfig('tcp', `tcp://127.0.0.1:${port}`), { profiles: [], persist: async () => undefined });
    const states = recordStates(driver);
    try {
      driver.start();
      await driver.stop();
      const socket = await accepted;
      // Whichever comes first: the close (right) or a command (the driver went on initialising).
      const first = await new Promise<string>((resolve) => {
        socket.once('data', (chunk: Buffer) => resolve(`data ${JSON.stringify(chunk.toString('latin1'))}`));
        if (socket.closed) resolve('close');
        else socket.once('close', () => resolve('close'));
      });
      expect(first).toBe('close');
      expect(states).toEqual(['opening', 'stopped']);
      expect(driver.state).toBe('stopped');
    } finally {
      await driver.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('during initialisation: the command in flight is abandoned and nothing follows it', async () => {
    const sim = await startSimModem(null, { faults: { hung: true } }); // answers nothing: init waits on its first AT
    const driver = startDriver(testConfig('a', sim.linkPath));
    await driver.waitFor('initialising', 10_000);
    await expect.poll(() => sim.stats.bytesIn, { timeout: 10_000 }).toBeGreaterThan(0); // the first AT is out
    const states = recordStates(driver);
    await driver.stop();
    sim.unhang();
    await expectClosedAndQuiet(sim);
    expect(sim.stats.commandLines).toBe(1); // only ours
    expect(states).toEqual(['stopped']);
    expect(driver.state).toBe('stopped');
  });

  it('during a send: the send ends as an unknown outcome, the port is closed', async () => {
    const network = await startNetwork();
    const sim = await startSimModem(network);
    await startDevice(network, '491709990030');
    const driver = startDriver(testConfig('a', sim.linkPath));
    await driver.waitFor('ready', 10_000);
    const submitted = new Promise<void>((resolve) => network.once('submitted', () => resolve()));
    sim.holdNextSendResult(); // the PDU goes out, its +CMGS result never comes
    const parts = splitIntoSubmitPdus({ destination: '+491709990030', payload: { data: bytes(10) } });
    const sending = driver.send({ messageId: 'in-flight', recipient: '+491709990030', parts });
    await submitted;
    const states = recordStates(driver);
    await driver.stop();
    const result = await sending;
    expect(result.failure).toMatchObject({ part: 1, outcome: 'unknown', error: { code: 'GW_ERR_MODEM_SEND_UNKNOWN' } });
    // The modem still works on the held line (it would queue our AT), so only the port is checked.
    await (await openSerialLink(sim.linkPath)).close();
    expect(states).toEqual(['stopped']);
    expect(driver.state).toBe('stopped');
  });

  it('during the back-off before a reopen: no reopen follows, the state stays stopped', async () => {
    const sim = await startSimModem(null);
    const driver = startDriver(testConfig('a', sim.linkPath, { reopenMinDelayMs: 200, reopenMaxDelayMs: 200 }));
    await driver.waitFor('ready', 10_000);
    await sim.unplug();
    await driver.waitFor('disconnected', 10_000);
    const states = recordStates(driver);
    await driver.stop();
    await sim.replug();
    // An absence cannot be awaited: hold the port ourselves for longer than the back-off (a reopen
    // would show as 'opening' in `states`); a slow machine only makes this window longer.
    const link = await openSerialLink(sim.linkPath);
    try {
      const channel = new AtChannel(link.stream, {});
      for (let i = 0; i < 5; i++) {
        await channel.command('AT');
        await new Promise((r) => setTimeout(r, 100));
      }
      channel.close();
    } finally {
      await link.close();
    }
    expect(states).toEqual(['stopped']);
    expect(driver.state).toBe('stopped');
  });
});
