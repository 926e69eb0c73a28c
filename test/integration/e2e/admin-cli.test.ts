/**
 * The admin API as an operator uses it: `smsbridge run --config` with `admin.enabled`, every
 * part its own process (sim network, sim modem, lab core, a simulated device), and the CLI
 * commands `status`, `modems`, `devices`, `send`, `queues` and `wakeup` against it over real HTTP, with the token
 * from SMSBRIDGE_TOKEN or --token-file; errors as one JSON object on stderr and exit 1.
 */
import { createServer } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../support/process-checks.ts';
import { smsbridgeWith } from '../../support/smsbridge-cli.ts';
import { useSmsbridgeProcesses } from '../../support/smsbridge-processes.ts';
import { waitForRunning } from '../../support/smsbridge-run.ts';

const TOKEN = 'e2e-admin-token-0123456789abcdef';
const READ_ONLY = 'e2e-read-only-token-0123456789';
const GATEWAY_NUMBER = '+491720000009';

const { start, onCleanup, privateRedis, tempDir } = useSmsbridgeProcesses({ env: { E2E_ADMIN_TOKEN: TOKEN, E2E_READ_ONLY_TOKEN: READ_ONLY } });

describe('smsbridge run with the admin API, and the CLI commands over it', () => {
  it('answers status, modems, devices, send, queues and wakeup, and the queue board; refuses a wrong or read-only token; logs no token; names an unreachable gateway', async () => {
    const redis = await privateRedis();
    const dir = await tempDir('smsbridge-admin-e2e-');
    const network = start('sim', 'network', '--listen', '127.0.0.1:0', '--delivery-delay-ms', '0');
    const networkAddress = (await network.stdout.waitFor(/"listening":"([^"]+)"/))[1]!;
    const modem = start('sim', 'modem', '--msisdn', GATEWAY_NUMBER, '--link', join(dir, 'ttyModem0'), '--network', networkAddress);
    await modem.stdout.waitFor(/"modem":/);
    const core = start('core', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0');
    const [, corePort] = await core.stdout.waitFor(/"coap":"127\.0\.0\.1:(\d+)"/);
    await writeFile(join(dir, 'read-only-token'), `${READ_ONLY}\n`);
    const configPath = join(dir, 'gateway.yaml');
    await writeFile(configPath, [
      `redis: {url: "redis://127.0.0.1:${redis.port}", prefix: "admin-e2e:"}`,
      `core: {host: 127.0.0.1, port: ${corePort}}`,
      // Port 0 for both listeners: the OS picks ports free at bind time (a port probed free and bound
      // later can be taken in between on a busy machine: EADDRINUSE); the log names the ports.
      'udpListen: {host: 127.0.0.1, port: 0}',
      'coreSockets: {bindHost: 127.0.0.1, firstPort: 43000, lastPort: 43999}',
      `modems: [{name: modem-1, path: ${join(dir, 'ttyModem0')}}]`,
      `admin: {enabled: true, listen: {host: 127.0.0.1, port: 0}, tokenEnv: E2E_ADMIN_TOKEN, readOnlyTokenFile: read-only-token}`,
      '',
    ].join('\n'));
    const gateway = start('run', '--config', configPath);
    const { udpPort } = await waitForRunning(gateway);
    const adminPort = Number((await gateway.stdout.waitFor(/"admin":"http:\/\/127\.0\.0\.1:(\d+)"/))[1]);
    const device = start('sim', 'device', '--msisdn', '+491700000201', '--endpoint', 'admin-e2e-udp', '--binding', 'U', '--udp', `127.0.0.1:${udpPort}`);
    await device.stdout.waitFor(/"registered":/);

    const url = `http://127.0.0.1:${adminPort}`;
    const cli = (env: Record<string, string>, ...args: string[]) => smsbridgeWith({ env }, ...args, '--url', url);
    const status = await cli({ SMSBRIDGE_TOKEN: TOKEN }, 'status', '--json');
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ redis: { commands: 'ready' }, devices: { total: 1, udp: 1 }, modems: { total: 1 } });

    const modems = await cli({}, 'modems', '--token-file', join(dir, 'read-only-token'));
    expect(modems.code).toBe(0);
    expect(modems.stdout.split('\n')[0]).toMatch(/^MODEM\s+STATE\s+SIGNAL/);
    expect(modems.stdout).toMatch(/modem-1\s+(ready|initialising|opening)/);

    const devices = await cli({ SMSBRIDGE_TOKEN: READ_ONLY }, 'devices', '--json');
    expect(JSON.parse(devices.stdout)).toMatchObject({ devices: [{ endpoint: 'admin-e2e-udp', bearer: 'udp', binding: 'U', registered: true }] });
    const devicesTable = await cli({ SMSBRIDGE_TOKEN: READ_ONLY }, 'devices');
    expect(devicesTable.stdout).toMatch(/admin-e2e-udp\s+udp\s+U\s+yes\s+awake/);
    const statusText = await cli({ SMSBRIDGE_TOKEN: READ_ONLY }, 'status');
    expect(statusText.stdout).toMatch(/^devices\s+1 \(0 by SMS, 1 by UDP\), 1 registered$/m);

    const readOnlySend = await cli({ SMSBRIDGE_TOKEN: READ_ONLY }, 'send', '--to', '+491700000201', '--text', 'hi');
    expect(readOnlySend.code).toBe(1);
    expect(JSON.parse(readOnlySend.stderr.trim())).toMatchObject({ code: 'GW_ERR_ADMIN_FORBIDDEN', status: 403 });
    const wrong = await cli({ SMSBRIDGE_TOKEN: 'not-the-token-0123456789' }, 'status');
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stderr.trim())).toMatchObject({ code: 'GW_ERR_ADMIN_UNAUTHORIZED', status: 401 });
    const noToken = await smsbridgeWith({ env: { SMSBRIDGE_TOKEN: '' } }, 'status', '--url', url);
    expect(JSON.parse(noToken.stderr.trim())).toMatchObject({ code: 'GW_ERR_CONFIG', option: '--token-file' });
    const badNumber = await cli({ SMSBRIDGE_TOKEN: TOKEN }, 'send', '--to', '0170', '--text', 'hi');
    expect(JSON.parse(badNumber.stderr.trim())).toMatchObject({ code: 'GW_ERR_CONFIG', option: '--to' }); // not E.164: refused before the request
    // Letters are refused by the command itself, before the token is looked for.
    const letters = await smsbridgeWith({ env: { SMSBRIDGE_TOKEN: '' } }, 'send', '--url', url, '--to', 'abc', '--text', 'hi');
    expect(JSON.parse(letters.stderr.trim())).toMatchObject({ code: 'GW_ERR_CONFIG', option: '--to' });

    await eventually('modem-1 ready', async () => {
      const answer = JSON.parse((await cli({ SMSBRIDGE_TOKEN: TOKEN }, 'modems', '--json')).stdout) as { modems: { state: string }[] };
      return answer.modems[0]?.state === 'ready';
    });
    const sent = await cli({ SMSBRIDGE_TOKEN: TOKEN }, 'send', '--to', '+491700000201', '--data-hex', '40010001', '--json');
    expect(sent.stderr).toBe('');
    expect(JSON.parse(sent.stdout)).toMatchObject({ modem: 'modem-1', parts: 1 });

    // Queues and wake-ups over the API.
    const queues = await cli({ SMSBRIDGE_TOKEN: READ_ONLY }, 'queues', '--json');
    expect(queues.stderr).toBe('');
    expect(JSON.parse(queues.stdout)).toMatchObject({ queues: [{ name: 'wakeup', counts: { waiting: 0, active: 0, delayed: 0 } }, { name: 'outbound-sms', counts: { waiting: 0, active: 0, delayed: 0 } }] });
    const queuesTable = await cli({ SMSBRIDGE_TOKEN: READ_ONLY }, 'queues');
    expect(queuesTable.stdout.split('\n')[0]).toMatch(/^QUEUE\s+WAITING\s+ACTIVE\s+DELAYED/);
    expect(queuesTable.stdout).toMatch(/^wakeup\s+0\s+0\s+0/m);
    expect(queuesTable.stdout).toMatch(/^outbound-sms\s+0\s+0\s+0/m);
    const readOnlyWakeup = await cli({ SMSBRIDGE_TOKEN: READ_ONLY }, 'wakeup', 'admin-e2e-udp');
    expect(JSON.parse(readOnlyWakeup.stderr.trim())).toMatchObject({ code: 'GW_ERR_ADMIN_FORBIDDEN', status: 403 });
    const unknownDevice = await cli({ SMSBRIDGE_TOKEN: TOKEN }, 'wakeup', 'no-such-device');
    expect(unknownDevice.code).toBe(1);
    expect(JSON.parse(unknownDevice.stderr.trim())).toMatchObject({ code: 'GW_ERR_ADMIN_NOT_FOUND', status: 404 });
    // A device heard over UDP just now is awake: the wake-up ends at once without a trigger.
    const waited = await cli({ SMSBRIDGE_TOKEN: TOKEN }, 'wakeup', 'admin-e2e-udp', '--wait', '--json');
    expect(waited.stderr).toBe('');
    expect(waited.code).toBe(0);
    const [requested, outcome] = waited.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(requested).toMatchObject({ endpoint: 'admin-e2e-udp', jobId: 'wakeup-admin-e2e-udp' });
    expect(outcome).toMatchObject({ result: 'skipped', reason: 'awake', endpoint: 'admin-e2e-udp' });
    const again = await cli({ SMSBRIDGE_TOKEN: TOKEN }, 'wakeup', 'admin-e2e-udp');
    expect(again.stdout.trim()).toMatch(/^wake-up of admin-e2e-udp: job wakeup-admin-e2e-udp (waiting|active|delayed|unknown)$/);

    // The queue board: the token goes once in a header, then in a cookie; neither is logged (checked below).
    const boardLogin = await fetch(`${url}/queues/login`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(boardLogin.status).toBe(204);
    const boardCookie = (boardLogin.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect((await fetch(`${url}/queues/api/queues`, { headers: { cookie: boardCookie } })).status).toBe(200);
    expect((await fetch(`${url}/queues/api/queues`, { headers: { cookie: `smsbridge-board=${READ_ONLY}x` } })).status).toBe(401);

    // A status page's event stream stays open while the gateway stops: it must not hold the stop up.
    const stream = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${READ_ONLY}` } });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^event: status\ndata: \{"modems":\[\{"name":"modem-1"/);
    const streamEnded = (async () => {
      try {
        while (!(await reader.read()).done);
        return 'ended';
      } catch {
        return 'ended';
      }
    })();

    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(await streamEnded).toBe('ended');
    expect(gateway.stdout.text).toMatch(/"msg":"gateway stopped"[^\n]*"clean":true|"clean":true[^\n]*"msg":"gateway stopped"/);
    expect(gateway.stdout.text).not.toContain(TOKEN);
    expect(gateway.stdout.text).not.toContain(READ_ONLY);
    const gone = await cli({ SMSBRIDGE_TOKEN: TOKEN }, 'status');
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stderr.trim())).toMatchObject({ code: 'GW_ERR_ADMIN_UNREACHABLE', url });
  }, 180_000);

  it('stops with GW_ERR_CONFIG naming admin.listen when its address is taken, and stops the gateway it started', async () => {
    const redis = await privateRedis();
    const dir = await tempDir('smsbridge-admin-e2e-');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    onCleanup(() => new Promise((resolve) => taken.close(resolve)));
    const port = (taken.address() as { port: number }).port;
    const configPath = join(dir, 'gateway.yaml');
    await writeFile(configPath, [
      `redis: {url: "redis://127.0.0.1:${redis.port}"}`,
      'core: {host: 127.0.0.1, port: 5683}',
      'udpListen: {host: 127.0.0.1, port: 0}',
      'coreSockets: {bindHost: 127.0.0.1, firstPort: 44000, lastPort: 44099}',
      `modems: [{name: modem-1, path: ${join(dir, 'no-such-tty')}}]`,
      `admin: {enabled: true, listen: {host: 127.0.0.1, port: ${port}}, tokenEnv: E2E_ADMIN_TOKEN}`,
      '',
    ].join('\n'));
    const gateway = start('run', '--config', configPath);
    expect(await gateway.exited).toBe(1);
    // One line: the error. No unhandled rejection from the wake-up queue stopped right after it started.
    expect(gateway.stderr.text.trim().split('\n')).toHaveLength(1);
    const error = JSON.parse(gateway.stderr.text.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(error).toMatchObject({ code: 'GW_ERR_CONFIG', key: 'admin.listen' });
    expect(String(error['message'])).toBe('admin.listen cannot be used: EADDRINUSE');
    expect(gateway.stdout.text).toContain('"msg":"gateway stopped"');
    expect(gateway.stdout.text).not.toContain('"msg":"running"');
  }, 60_000);
});
