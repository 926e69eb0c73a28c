/**
 * The core stops answering (issue 9, "Core down: the core stops answering; … everything recovers
 * when it returns"): the lab core runs as a process of its own (`smsbridge core`) and is frozen
 * with SIGSTOP while a device keeps sending, then resumed with SIGCONT. The gateway neither
 * crashes nor needs help: the device's Update that waited is answered, and the core's Reads reach
 * the device again. The benchmark with load, memory and what the gateway keeps or drops is
 * `npm run bench:reliability -- core-down` (docs/reliability.md#core-down).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SimDevice } from '../../../src/sim/device/index.ts';
import { exitOf, OutputLines } from '../../support/process-checks.ts';
import { BIN, ROOT } from '../../support/smsbridge-cli.ts';
import { onCleanup, startGateway, UdpPeer, useRelayFixture } from '../relay/relay-fixture.ts';

useRelayFixture();

describe('the core frozen and resumed', () => {
  it('SIGSTOP of the lab core while a device sends, then SIGCONT: the waiting Update is answered and Reads work again', async () => {
    const core = spawn(process.execPath, [BIN, 'core', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = exitOf(core);
    onCleanup(async () => {
      core.kill('SIGCONT');
      core.kill('SIGTERM');
      await exited;
    });
    const stdout = new OutputLines(core.stdout!);
    const [, corePort, http] = await stdout.waitFor(/"coap":"127\.0\.0\.1:(\d+)","http":"([^"]+)"/);
    const unused = await UdpPeer.open();
    const { gateway } = await startGateway(unused, { core: { host: '127.0.0.1', port: Number(corePort) } });
    const device = await SimDevice.start({ msisdn: '+491709500001', endpoint: 'frozen-core-meter', binding: 'U', lifetimeSec: 300, udp: gateway.udpAddress, coap: { responseTimeoutMs: 120_000 } });
    onCleanup(() => device.stop());
    await device.whenRegistered();
    const read = async (): Promise<string> => ((await (await fetch(`http://${http!}/clients/frozen-core-meter/read?path=/3/0`, { method: 'POST' })).json()) as { code: string }).code;
    expect(await read()).toBe('2.05');

    core.kill('SIGSTOP');
    const updatesBefore = device.stats.updates;
    const toCoreBefore = gateway.relay.counters.toCore;
    const updated = device.update();
    // The gateway relayed the Update to the frozen core (no answer can come).
    await expect.poll(() => gateway.relay.counters.toCore, { timeout: 20_000 }).toBeGreaterThan(toCoreBefore);
    expect(device.stats.updates).toBe(updatesBefore);

    core.kill('SIGCONT');
    expect(await updated).toBe(true);
    expect(device.stats.updates).toBe(updatesBefore + 1);
    expect(await read()).toBe('2.05');
    expect(gateway.mirror.get('frozen-core-meter')?.registered).toBe(true);
  }, 120_000);
});
