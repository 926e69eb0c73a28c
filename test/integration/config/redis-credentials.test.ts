/**
 * The Redis URL that toGatewayConfig builds from a config file reaches a real Redis (private,
 * started by the test) that requires a user and password: the password comes from a file and
 * holds characters that must be %-encoded in a URL. Selecting the database from the URL too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/config/index.ts';
import { toGatewayConfig } from '../../../src/gateway/config-to-gateway.ts';
import { redisCommand, startPrivateRedis, type PrivateRedis } from '../../support/private-redis.ts';

const PASSWORD = 'p@ss:w/rd %41 #?';
const dir = mkdtempSync(join(tmpdir(), 'smsbridge-redis-credentials-'));
let redis: PrivateRedis;

beforeAll(async () => {
  redis = await startPrivateRedis();
  // ACL SETUSER <user> on ><password>: the password follows '>' verbatim (inline command, quoted).
  expect(await redisCommand(redis.port, `ACL SETUSER gateway on ${JSON.stringify(`>${PASSWORD}`)} ~* &* +@all`)).toBe('+OK');
  expect(await redisCommand(redis.port, 'ACL SETUSER default off')).toBe('+OK');
}, 30_000);

afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connectWith(url: string): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('Redis credentials from the config file', () => {
  it('connects as the configured user with the password from a file, to the configured database', async () => {
    writeFileSync(join(dir, 'redis-password'), `${PASSWORD}\n`);
    writeFileSync(join(dir, 'config.yaml'), [
      `redis: {url: "redis://gateway@127.0.0.1:${redis.port}/3", passwordFile: redis-password}`,
      'core: {host: 127.0.0.1}',
      'modems: [{name: a, path: /dev/a}]',
      '',
    ].join('\n'));
    const gateway = toGatewayConfig(await loadConfigFile(join(dir, 'config.yaml'), {}));
    const client = await connectWith(gateway.redisUrl);
    try {
      expect(await client.acl('WHOAMI')).toBe('gateway');
      await client.set('probe', 'db3');
      expect(await client.get('probe')).toBe('db3');
      expect(await redisCommand(redis.port, `AUTH gateway ${JSON.stringify(PASSWORD)}`)).toBe('+OK');
    } finally {
      client.disconnect();
    }
    const other = await connectWith(gateway.redisUrl.replace(/\/3$/, '/0'));
    try {
      expect(await other.get('probe')).toBeNull();
    } finally {
      other.disconnect();
    }
  }, 30_000);

  it('the same URL without the password is refused by the server', async () => {
    const client = new Redis(`redis://gateway@127.0.0.1:${redis.port}/3`, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    await expect(client.connect().then(() => client.get('probe'))).rejects.toThrow();
    client.disconnect();
  }, 30_000);
});
