/**
 * `smsbridge run --config` as a sysadmin runs it, every part its own process: `sim network`, two
 * `sim modem`s on pseudo-terminals, the lab core, then the gateway from a YAML file, then
 * simulated devices. Registrations and a Read reach the lab core through the gateway; SIGTERM
 * ends the gateway cleanly (exit 0) with nothing left unprocessed in its inbox. This test keeps
 * the production entry point working.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisCommand, type PrivateRedis } from '../../support/private-redis.ts';
import { useSmsbridgeProcesses } from '../../support/smsbridge-processes.ts';
import { runConfigYaml, waitForRunning } from '../../support/smsbridge-run.ts';

const { start, onCleanup, privateRedis, tempDir } = useSmsbridgeProcesses({ env: { LAB_REDIS_PASSWORD: 'hidden-redis-pw' } });

async function getJson(url: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(url, init);
  return response.json();
}

const GATEWAY_NUMBERS = ['+491720000001', '+491720000002'];

/** The gateway's file; its device-facing UDP port is left to the OS (read from the running line). */
function configYaml(redis: PrivateRedis, dir: string, corePort: number): string {
  return runConfigYaml({
    writtenBy: 'run-service.test.ts', redisUrl: `redis://127.0.0.1:${redis.port}`, redisPasswordEnv: 'LAB_REDIS_PASSWORD', redisPrefix: 'run-test:',
    core: { host: 'localhost', port: corePort }, udpPort: 0, coreSocketPorts: [41000, 41999],
    modems: GATEWAY_NUMBERS.map((_, i) => ({ name: `modem-${i + 1}`, path: join(dir, `ttyModem${i}`), groups: ['lab'] })),
    moreYaml: 'maintenanceIntervalMs: 1000\n',
  });
}

describe('smsbridge run --config', () => {
  it('runs the gateway from a YAML file between simulated modems and the lab core, and stops cleanly on SIGTERM', async () => {
    const redis = await privateRedis();
    await redisCommand(redis.port, 'CONFIG SET requirepass hidden-redis-pw'); // the gateway's password comes from the environment
    const dir = await tempDir('smsbridge-run-');

    const network = start('sim', 'network', '--listen', '127.0.0.1:0', '--delivery-delay-ms', '0');
    const networkAddress = (await network.stdout.waitFor(/"listening":"([^"]+)"/))[1]!;
    for (const [i, msisdn] of GATEWAY_NUMBERS.entries()) {
      const modem = start('sim', 'modem', '--msisdn', msisdn, '--link', join(dir, `ttyModem${i}`), '--network', networkAddress, '--profile', i === 0 ? 'ec25' : 'sim800');
      await modem.stdout.waitFor(/"modem":/);
    }
    const core = start('core', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0');
    const [, corePort, httpAddress] = await core.stdout.waitFor(/"coap":"127\.0\.0\.1:(\d+)","http":"([^"]+)"/);
    const api = `http://${httpAddress!}`;

    const configPath = join(dir, 'gateway.yaml');
    await writeFile(configPath, configYaml(redis, dir, Number(corePort)));
    const gateway = start('run', '--config', configPath);
    const { udpPort } = await waitForRunning(gateway);

    const sms = start('sim', 'device', '--msisdn', '+491700000101', '--endpoint', 'run-sms-1', '--binding', 'S', '--network', networkAddress, '--gateway-number', GATEWAY_NUMBERS[0]!);
    const sms2 = start('sim', 'device', '--msisdn', '+491700000102', '--endpoint', 'run-sms-2', '--binding', 'S', '--network', networkAddress, '--gateway-number', GATEWAY_NUMBERS[1]!);
    const udp = start('sim', 'device', '--msisdn', '+491700000103', '--endpoint', 'run-udp-1', '--binding', 'U', '--udp', `127.0.0.1:${udpPort}`);
    for (const device of [sms, sms2, udp]) await device.stdout.waitFor(/"registered":/);

    const clients = (await getJson(`${api}/clients`)) as { clients: { endpoint: string }[] };
    expect(clients.clients.map((c) => c.endpoint).sort()).toEqual(['run-sms-1', 'run-sms-2', 'run-udp-1']);
    const read = (await getJson(`${api}/clients/run-sms-2/read?path=/3/0`, { method: 'POST' })) as { code: string };
    expect(read.code).toBe('2.05');
    const udpRead = (await getJson(`${api}/clients/run-udp-1/read?path=/3/0`, { method: 'POST' })) as { code: string };
    expect(udpRead.code).toBe('2.05');

    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    const lines = gateway.stdout.text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.msg === 'gateway stopped')).toMatchObject({ clean: true });
    expect(lines.some((line) => line.msg === 'registered' && line.device === 'run-sms-1')).toBe(true);
    expect(gateway.stdout.text).not.toContain('hidden-redis-pw');
    expect(gateway.stderr.text).toBe('');
    // Nothing lost: every SMS the gateway took from its modems was relayed (none pending in the inbox's consumer group).
    const client = new Redis({ host: '127.0.0.1', port: redis.port, password: 'hidden-redis-pw', lazyConnect: true });
    onCleanup(async () => client.disconnect());
    await client.connect();
    const groups = (await client.xinfo('GROUPS', 'run-test:inbox:messages')) as unknown[][];
    const relayGroup = groups.map((fields) => Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [String(fields[2 * i]), fields[2 * i + 1]]))).find((group) => group.name === 'relay');
    expect(relayGroup).toMatchObject({ pending: 0 });
  }, 180_000);

  it('refuses a bad configuration file with GW_ERR_CONFIG naming key, line and column, and starts nothing', async () => {
    const dir = await tempDir('smsbridge-run-');
    const configPath = join(dir, 'bad.yaml');
    await writeFile(configPath, 'core:\n  host: 127.0.0.1\n  port: seventy\nmodems: []\n');
    const gateway = start('run', '--config', configPath);
    expect(await gateway.exited).toBe(1);
    const error = JSON.parse(gateway.stderr.text.trim().split('\n').at(-1)!) as { code: string; message: string };
    expect(error.code).toBe('GW_ERR_CONFIG');
    expect(error.message).toMatch(/bad\.yaml:3:\d+: core\.port/); // file:line:column: key
    expect(gateway.stdout.text).not.toContain('"msg":"running"');
  }, 60_000);
});
