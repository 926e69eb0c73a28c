/**
 * `smsbridge run` whose start fails after Redis answered (the device UDP address is taken by
 * another program): one GW_ERR_CONFIG line on stderr naming udp.listen and exit 1, by itself.
 * Before, the outbound SMS queue's Redis connections, opened before the bind, stayed open and
 * the process never exited: a service that neither ran nor failed. A real process, a real
 * private Redis, a real UDP socket holding the port.
 */
import { createSocket, type Socket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeTcpPort } from '../../support/private-redis.ts';
import { useSmsbridgeProcesses } from '../../support/smsbridge-processes.ts';

const { start, onCleanup, privateRedis, tempDir } = useSmsbridgeProcesses();

describe('smsbridge run: starts that fail end by themselves', () => {
  it('exits 1 by itself with GW_ERR_CONFIG naming udp.listen when the device UDP address is taken', async () => {
    const redis = await privateRedis();
    const dir = await tempDir('smsbridge-run-fail-');
    const taken: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', () => resolve()));
    onCleanup(() => new Promise((resolve) => taken.close(() => resolve(undefined))));
    const configPath = join(dir, 'gateway.yaml');
    await writeFile(configPath, [
      `redis: {url: "redis://127.0.0.1:${redis.port}"}`,
      'core: {host: 127.0.0.1, port: 5683}',
      `udpListen: {host: 127.0.0.1, port: ${taken.address().port}}`,
      'coreSockets: {bindHost: 127.0.0.1, firstPort: 44100, lastPort: 44199}',
      `modems: [{name: modem-1, path: ${join(dir, 'no-such-tty')}}]`,
      '',
    ].join('\n'));
    const { stdout, stderr, exited } = start('run', '--config', configPath);
    // No signal is sent: the process must end on its own.
    expect(await exited).toBe(1);
    expect(stderr.text.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stderr.text.trim())).toMatchObject({ code: 'GW_ERR_CONFIG', key: 'udp.listen' });
    expect(stdout.text).toContain('"msg":"the gateway did not start"');
    expect(stdout.text).not.toContain('"msg":"running"');
  }, 90_000);

  it('names an --at-trace modem the file does not have before waiting for Redis (which is not there)', async () => {
    const dir = await tempDir('smsbridge-run-fail-');
    const configPath = join(dir, 'gateway.yaml');
    await writeFile(configPath, [
      `redis: {url: "redis://127.0.0.1:${await freeTcpPort()}"}`, // nothing listens there: the start would wait
      'core: {host: 127.0.0.1, port: 5683}',
      `modems: [{name: modem-1, path: ${join(dir, 'no-such-tty')}}]`,
      '',
    ].join('\n'));
    const { stderr, exited } = start('run', '--config', configPath, '--at-trace', 'modem-1,modem-9');
    expect(await exited).toBe(1);
    expect(stderr.text.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stderr.text.trim())).toMatchObject({ code: 'GW_ERR_CONFIG', option: '--at-trace', message: expect.stringContaining('"modem-9"') });
  }, 90_000);
});
