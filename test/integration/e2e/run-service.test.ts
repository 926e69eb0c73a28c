/**
 * `smsbridge run --config` as a sysadmin runs it, every part its own process: `sim network`, two
 * `sim modem`s on pseudo-terminals, the lab core, then the gateway from a YAML file, then
 * simulated devices. Registrations and a Read reach the lab core through the gateway; SIGTERM
 * ends the gateway cleanly (exit 0) with nothing left unprocessed in its inbox. This test keeps
 * the production entry point working.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitOf, OutputLines } from '../../support/process-checks.ts';
import { Redis } from 'ioredis';
import { freeTcpPort, redisCommand, startPrivateRedis, type PrivateRedis } from '../../support/private-redis.ts';
import { BIN, ROOT } from '../../support/smsbridge-cli.ts';

const children: ChildProcess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const child of children.splice(0).reverse()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

interface Started {
  readonly child: ChildProcess;
  readonly stdout: OutputLines;
  readonly stderr: OutputLines;
  readonly exited: Promise<number | string>;
}

function start(...args: string[]): Started {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LAB_REDIS_PASSWORD: 'hidden-redis-pw' } });
  children.push(child);
  return { child, stdout: new OutputLines(child.stdout!), stderr: new OutputLines(child.stderr!), exited: exitOf(child) };
}

async function getJson(url: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(url, init);
  return response.json();
}

const GATEWAY_NUMBERS = ['+491720000001', '+491720000002'];

function configYaml(redis: PrivateRedis, dir: string, corePort: number, udpPort: number): string {
  return `# written by run-service.test.ts
log:
  level: info
redis:
  url: redis://127.0.0.1:${redis.port}
  passwordEnv: LAB_REDIS_PASSWORD
  prefix: "run-test:"
core:
  host: localhost
  port: ${corePort}
udpListen:
  host: 127.0.0.1
  port: ${udpPort}
coreSockets:
  bindHost: 127.0.0.1
  firstPort: 41000
  lastPort: 41999
modems:
  - name: modem-1
    path: ${join(dir, 'ttyModem0')}
    groups: [lab]
  - name: modem-2
    path: ${join(dir, 'ttyModem1')}
    groups: [lab]
senderPolicy:
  mode: open
maintenanceIntervalMs: 1000
`;
}

describe('smsbridge run --config', () => {
  it('runs the gateway from a YAML file between simulated modems and the lab core, and stops cleanly on SIGTERM', async () => {
    const redis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    await redisCommand(redis.port, 'CONFIG SET requirepass hidden-redis-pw'); // the gateway's password comes from the environment
    const dir = await mkdtemp(join(tmpdir(), 'smsbridge-run-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));

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
    const udpPort = await freeTcpPort(); // a free number; UDP and TCP ports are separate, any unused one will do
    await writeFile(configPath, configYaml(redis, dir, Number(corePort), udpPort));
    const gateway = start('run', '--config', configPath);
    await gateway.stdout.waitFor(/"msg":"running"/);

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
    cleanups.push(async () => client.disconnect());
    await client.connect();
    const groups = (await client.xinfo('GROUPS', 'run-test:inbox:messages')) as unknown[][];
    const relayGroup = groups.map((fields) => Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [String(fields[2 * i]), fields[2 * i + 1]]))).find((group) => group.name === 'relay');
    expect(relayGroup).toMatchObject({ pending: 0 });
  }, 180_000);

  it('refuses a bad configuration file with GW_ERR_CONFIG naming key, line and column, and starts nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smsbridge-run-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
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
