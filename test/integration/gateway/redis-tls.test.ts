/**
 * `rediss://` URLs: the gateway's Redis client speaks TLS to a real redis-server with a TLS port
 * and a certificate of a CA made here (trusted through NODE_EXTRA_CA_CERTS), password and
 * database from the URL.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freeTcpPort, redisCommand, startPrivateRedis, type PrivateRedis } from '../../support/private-redis.ts';
import { ROOT } from '../../support/smsbridge-cli.ts';

const run = promisify(execFile);
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
});

/** A CA and a server certificate for localhost / 127.0.0.1, made with openssl. */
async function certificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const ca = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const key = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const cert = join(dir, 'server.crt');
  const ext = join(dir, 'san.ext');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=smsbridge test CA']);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=localhost']);
  await writeFile(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { ca, cert, key };
}

describe('Redis over TLS', () => {
  it('connects with a rediss:// URL carrying password and database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smsbridge-tls-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const { ca, cert, key } = await certificates(dir);
    // redis-server takes no port 0 for TLS (0 turns TLS off): the port is probed free and bound a
    // moment later, so on a busy machine another process may take it in between. Then another one.
    let tlsPort = 0;
    let redis: PrivateRedis | null = null;
    for (let attempt = 1; redis === null; attempt++) {
      tlsPort = await freeTcpPort();
      try {
        redis = await startPrivateRedis({
          extraArgs: ['--tls-port', String(tlsPort), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', ca, '--tls-auth-clients', 'no'],
        });
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    const started = redis;
    stops.push(() => started.stop());
    await redisCommand(redis.port, 'CONFIG SET requirepass tls-pw');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/support/rediss-probe.ts', `rediss://:tls-pw@localhost:${tlsPort}/4`], {
      cwd: ROOT, env: { ...process.env, NODE_EXTRA_CA_CERTS: ca }, timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({ status: 'ready', value: 'over-tls' });
  }, 60_000);
});
