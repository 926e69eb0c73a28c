/**
 * Takeover by a second gateway process (issue 8, "All state in Redis"): every part its own
 * process (sim network, sim modem on a pseudo-terminal, lab core, `smsbridge run --config`, sim
 * devices), one private Redis. Process A holds two Reads of the core for a sleeping UQ device
 * and has sent the first trigger of a wake-up job for a sleeping UQS device (the job waits in
 * its back-off); A is killed with SIGKILL; B starts from the same file. B delivers the held
 * Reads in order when the UQ device wakes, the core gets both answers, and the wake-up job
 * completes under B when the UQS device is heard.
 *
 * Nothing here waits on the clock: the devices are paused (SIGSTOP) while A runs so that they
 * cannot wake before A is gone, and resumed (SIGCONT) once B runs; the test waits for log lines.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PrivateRedis } from '../../support/private-redis.ts';
import { useSmsbridgeProcesses } from '../../support/smsbridge-processes.ts';
import { runConfigYaml, waitForRunning, type SmsbridgeProcess } from '../../support/smsbridge-run.ts';

const { start, privateRedis, tempDir } = useSmsbridgeProcesses();

const GATEWAY_NUMBER = '+491720000011';
const HELD = 'takeover-uq'; // UQ: UDP only, so a request for it waits while it sleeps
const WOKEN = 'takeover-uqs'; // UQS: woken by trigger SMS

/** The gateway's file; `udpPort` 0 leaves the device-facing port to the OS. */
function configYaml(redis: PrivateRedis, dir: string, corePort: number, udpPort: number): string {
  return runConfigYaml({
    writtenBy: 'held-takeover.test.ts', redisUrl: `redis://127.0.0.1:${redis.port}`, redisPrefix: 'takeover:',
    core: { host: '127.0.0.1', port: corePort }, udpPort, coreSocketPorts: [43000, 43999],
    modems: [{ name: 'modem-1', path: join(dir, 'ttyModem0') }],
    moreYaml: `awakeWindowMs: 1000
heldRequests:
  ttlMs: 900000
wakeup:
  attempts: 3
  backoffMs: 600000
  maxBackoffMs: 600000
  ttlMs: 3600000
maintenanceIntervalMs: 1000
`,
  });
}

/** The JSON log lines of a gateway process. */
function logLines(started: SmsbridgeProcess): Record<string, unknown>[] {
  return started.stdout.text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('takeover of held requests and wake-up jobs', () => {
  it('a second gateway process delivers the requests a killed one held, in order, and completes its wake-up job', async () => {
    const redis = await privateRedis();
    const dir = await tempDir('smsbridge-takeover-');

    const network = start('sim', 'network', '--listen', '127.0.0.1:0', '--delivery-delay-ms', '0');
    const networkAddress = (await network.stdout.waitFor(/"listening":"([^"]+)"/))[1]!;
    const modem = start('sim', 'modem', '--msisdn', GATEWAY_NUMBER, '--link', join(dir, 'ttyModem0'), '--network', networkAddress);
    await modem.stdout.waitFor(/"modem":/);
    const core = start('core', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--response-timeout-ms', '900000');
    const [, corePort, httpAddress] = await core.stdout.waitFor(/"coap":"127\.0\.0\.1:(\d+)","http":"([^"]+)"/);
    const api = `http://${httpAddress!}`;
    const configPath = join(dir, 'gateway.yaml');
    await writeFile(configPath, configYaml(redis, dir, Number(corePort), 0));

    const a = start('run', '--config', configPath);
    const { udpPort } = await waitForRunning(a);
    // From now on the file names the port the OS gave A (so no other process can have held it
    // when A bound it): B, started from the same file, listens where the devices send.
    await writeFile(configPath, configYaml(redis, dir, Number(corePort), udpPort));
    // The UQ device stays awake itself long enough to take the delivered Reads after its Update;
    // the gateway considers it asleep after 1 s. Its Update comes at 90 % of its lifetime.
    const held = start('sim', 'device', '--msisdn', '+491700000210', '--endpoint', HELD, '--binding', 'UQ', '--udp', `127.0.0.1:${udpPort}`, '--lifetime', '60', '--awake-window-ms', '30000');
    await held.stdout.waitFor(/"registered":/);
    const woken = start('sim', 'device', '--msisdn', '+491700000211', '--endpoint', WOKEN, '--binding', 'UQS', '--udp', `127.0.0.1:${udpPort}`,
      '--network', networkAddress, '--gateway-number', GATEWAY_NUMBER, '--lifetime', '600', '--awake-window-ms', '1000');
    await woken.stdout.waitFor(/"registered":/);
    await woken.stderr.waitFor(/^asleep$/); // its 1 s began after the gateway heard it, so the gateway's passed too (and the UQ device's, earlier)
    held.child.kill('SIGSTOP');
    woken.child.kill('SIGSTOP');

    // A: a wake-up job for the UQS device sends its first trigger and waits in its back-off.
    const wakeup = start('wakeup', '--config', configPath, WOKEN);
    expect(await wakeup.exited).toBe(0);
    await a.stdout.waitFor(new RegExp(`"device":"${WOKEN}".*"msg":"wake-up trigger sent"`));
    // A: two Reads for the sleeping UQ device are held, in this order.
    const first = fetch(`${api}/clients/${HELD}/read?path=/3/0`, { method: 'POST' }).then((r) => r.json() as Promise<{ code: string }>);
    await a.stdout.waitFor(new RegExp(`"device":"${HELD}".*"held":1,.*"msg":"request held`));
    const second = fetch(`${api}/clients/${HELD}/read?path=/1/0`, { method: 'POST' }).then((r) => r.json() as Promise<{ code: string }>);
    await a.stdout.waitFor(new RegExp(`"device":"${HELD}".*"held":2,.*"msg":"request held`));

    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    const b = start('run', '--config', configPath);
    await b.stdout.waitFor(/"msg":"running"/);
    expect(logLines(b).find((line) => line.msg === 'held requests resumed')).toMatchObject({ devices: 1, requests: 2 });
    held.child.kill('SIGCONT');
    woken.child.kill('SIGCONT');

    // The UQS device takes the trigger A sent, and its Update reaches B: the job completes under B.
    await b.stdout.waitFor(new RegExp(`"device":"${WOKEN}".*"msg":"device woke after 1 trigger\\(s\\)"`), 120_000);
    // The UQ device wakes (its Update reaches B): B delivers both Reads, one after the other, and the core gets both answers.
    expect(await first).toMatchObject({ code: '2.05' });
    expect(await second).toMatchObject({ code: '2.05' });
    const reads = held.stderr.text.split('\n').filter((line) => line.startsWith('GET '));
    expect(reads).toEqual(['GET /3/0 over udp: 2.05', 'GET /1/0 over udp: 2.05']);
    expect(b.stderr.text).toBe('');
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 300_000);
});
