/**
 * The core socket pool at its limits, with real UDP sockets on loopback and a private Redis: a
 * port range filled to the last port and reused, and the open-file limit (a child process run
 * under `ulimit -n`, as the kernel would refuse a gateway with too low a LimitNOFILE).
 * Port ranges lie below the kernel's ephemeral range (32768+), so no other socket lands there.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { CoreSocketPool } from '../../../src/bridge/core-sockets.ts';
import { isGatewayError } from '../../../src/shared/errors.ts';
import { useTestScope } from '../../support/test-scope.ts';

const scope = useTestScope();

/** Runs test/support/file-limit-process.ts under `ulimit -n <files>` (soft and hard); resolves with its JSON lines. */
function runUnderFileLimit(files: number, args: readonly string[]): Promise<Record<string, unknown>[]> {
  const command = ['ulimit -n "$0" && exec "$@"', String(files), process.execPath, '--import', 'tsx', 'test/support/file-limit-process.ts', ...args];
  const child = spawn('sh', ['-c', ...command], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`file-limit-process exited with ${code}: ${output}`));
      else resolve(output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));
    });
  });
}

describe('core socket pool: free list', () => {
  it('gives K devices the K addresses of a K-port range, refuses the next with "no free port", and reuses released ports', async () => {
    const k = 200;
    const pool = new CoreSocketPool(scope.redis(), () => undefined, { bindHosts: ['127.0.0.3'], portRange: [23_400, 23_400 + k - 1], prefix: 'free:' });
    scope.onCleanup(() => pool.close());
    const names = Array.from({ length: k }, (_, i) => `dev-${i}`);
    const sockets = await Promise.all(names.map((name) => pool.ensure(name))); // all at once: the list must not hand out one port twice
    const ports = new Set(sockets.map((socket) => socket.address().port));
    expect(ports.size).toBe(k);
    expect(Math.min(...ports)).toBe(23_400);
    expect(Math.max(...ports)).toBe(23_400 + k - 1);

    const refused = await pool.ensure('one-too-many').catch((error: unknown) => error);
    expect(isGatewayError(refused) && refused.code).toBe('GW_ERR_RELAY_SOCKET');
    expect(await scope.redis().hexists('free:port-of', 'one-too-many')).toBe(0);

    const gone = names.slice(50, 60);
    const freed = new Set(gone.map((name) => pool.addressOf(name)!.port));
    for (const name of gone) await pool.release(name);
    expect(pool.size).toBe(k - gone.length);
    const reused = await Promise.all(gone.map((_, i) => pool.ensure(`new-${i}`)));
    expect(new Set(reused.map((socket) => socket.address().port))).toEqual(freed);
    expect(await scope.redis().hlen('free:port-of')).toBe(k);
  });
});

describe('core socket pool: restore', () => {
  it('binds the recorded addresses of registered devices and frees those of devices without a registration', async () => {
    const options = { bindHosts: ['127.0.0.3'], portRange: [23_620, 23_629] as const, prefix: 'restore:' };
    const before = new CoreSocketPool(scope.redis(), () => undefined, options);
    const kept = (await before.ensure('kept')).address().port;
    await before.ensure('stale');
    await before.close();

    const after = new CoreSocketPool(scope.redis(), () => undefined, options);
    scope.onCleanup(() => after.close());
    expect(await after.restore(['kept'])).toMatchObject({ recorded: 1, bound: 1, unbound: 0, released: 1 });
    expect(after.get('kept')?.address()).toMatchObject({ address: '127.0.0.3', port: kept });
    expect(after.addressOf('stale')).toBeNull();
    expect(await scope.redis().hkeys('restore:port-of')).toEqual(['kept']);
    expect(await scope.redis().hvals('restore:owner-of')).toEqual(['kept']);
  });

  it('binds recorded addresses on a bind host given by name (resolved, bound later) as on an IP address (bound at once)', async () => {
    const options = { bindHosts: ['localhost', '127.0.0.3'], portRange: [23_660, 23_669] as const, prefix: 'named:' };
    const before = new CoreSocketPool(scope.redis(), () => undefined, options);
    const named = (await before.ensure('by-name')).address();
    const literal = (await before.ensure('by-ip')).address();
    await before.close();
    expect([named.address, literal.address]).toEqual(['127.0.0.1', '127.0.0.3']);

    const received: string[] = [];
    const after = new CoreSocketPool(scope.redis(), (endpoint) => received.push(endpoint), { ...options, bindConcurrency: 1 });
    scope.onCleanup(() => after.close());
    expect(await after.restore(['by-name', 'by-ip'])).toMatchObject({ recorded: 2, bound: 2, unbound: 0 });
    expect(after.get('by-name')?.address()).toMatchObject({ address: '127.0.0.1', port: named.port });
    expect(after.get('by-ip')?.address()).toMatchObject({ address: '127.0.0.3', port: literal.port });
    // Both deliver what the core sends them, with their endpoint.
    const core = createSocket('udp4');
    scope.onCleanup(() => new Promise<void>((resolve) => core.close(() => resolve())));
    core.send('x', named.port, '127.0.0.1');
    core.send('y', literal.port, '127.0.0.3');
    await expect.poll(() => [...received].sort()).toEqual(['by-ip', 'by-name']);
  });
});

describe('core socket pool: a recorded port held by another socket', () => {
  it('reports the device at restore, and moves it to a new address when it needs its socket before the port frees', async () => {
    const options = { bindHosts: ['127.0.0.3'], portRange: [23_640, 23_649] as const, prefix: 'held:' };
    const before = new CoreSocketPool(scope.redis(), () => undefined, options);
    const recorded = (await before.ensure('x')).address().port;
    await before.close();
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(recorded, '127.0.0.3', () => resolve()));
    scope.onCleanup(() => new Promise<void>((resolve) => holder.close(() => resolve())));

    const after = new CoreSocketPool(scope.redis(), () => undefined, options);
    scope.onCleanup(() => after.close());
    const unbound = after.next('unbound');
    expect(await after.restore(['x'])).toMatchObject({ recorded: 1, bound: 0, unbound: 1, unboundBy: { EADDRINUSE: 1 } });
    expect((await unbound)[0]).toMatchObject({ endpoint: 'x', address: { host: '127.0.0.3', port: recorded }, code: 'GW_ERR_RELAY_SOCKET', errno: 'EADDRINUSE' });
    expect(after.pendingEndpoints).toEqual(['x']);

    const moved = after.next('moved');
    const socket = await after.ensure('x'); // traffic: it cannot wait
    const [event] = await moved;
    expect(event.from).toEqual({ host: '127.0.0.3', port: recorded });
    expect(socket.address().port).toBe(event.to.port);
    expect(event.to.port).not.toBe(recorded);
    expect(after.pendingEndpoints).toEqual([]);
    expect(await scope.redis().hget('held:port-of', 'x')).toBe(`127.0.0.3:${event.to.port}`);
    expect(await scope.redis().hkeys('held:owner-of')).toEqual([`127.0.0.3:${event.to.port}`]);
  });
});

describe('core socket pool: retries of a device waiting for its recorded port', () => {
  it('back off while the port stays held (the clock is injected), also while new devices bind elsewhere, and bind it once the wait is over', async () => {
    const options = { bindHosts: ['127.0.0.3'], portRange: [23_680, 23_689] as const, prefix: 'backoff:' };
    const before = new CoreSocketPool(scope.redis(), () => undefined, options);
    const recorded = (await before.ensure('w')).address().port;
    await before.close();
    const holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(recorded, '127.0.0.3', () => resolve()));
    let holderOpen = true;
    const closeHolder = (): Promise<void> => new Promise((resolve) => (holderOpen ? holder.close(() => resolve()) : resolve()));
    scope.onCleanup(closeHolder);

    let clockMs = 0;
    const after = new CoreSocketPool(scope.redis(), () => undefined, { ...options, now: () => clockMs });
    scope.onCleanup(() => after.close());
    expect(await after.restore(['w'])).toMatchObject({ unbound: 1 });
    const start = after.counters.bindFailures;
    // The maintenance timer, once a second for 10 s: passes at 0, 1, 3 and 7 s (the wait doubles).
    for (let tick = 0; tick < 10; tick += 1) {
      clockMs = tick * 1000;
      await after.retryPending();
    }
    expect(after.counters.bindFailures - start).toBe(4);
    // A new device bound on a free address says nothing about the held port: the wait goes on
    // (before, every Register of a new device ended it, and each pass tried every waiting device).
    await after.ensure('new');
    await after.retryPending(); // same clock reading
    expect(after.counters.bindFailures - start).toBe(4);

    await closeHolder();
    holderOpen = false;
    clockMs = 15_000; // the wait booked by the pass at 7 s (8 s) is over
    const rebound = after.next('rebound');
    await after.retryPending();
    expect((await rebound)[0]).toEqual({ endpoint: 'w', address: { host: '127.0.0.3', port: recorded } });
    expect(after.pendingEndpoints).toEqual([]);
  });
});

describe('core socket pool: open-file limit', () => {
  it('reports EMFILE as GW_ERR_RELAY_FILE_LIMIT (not "no free port"), records nothing for that device, a restore under the limit binds what it can, retries back off, and the rest bind on retry', async () => {
    const lines = await runUnderFileLimit(100, [scope.server().url, '127.0.0.4', '23700', '23899', '5']);
    const [filled, restored, backoff, released, retried] = lines;
    expect(filled).toMatchObject({ step: 'filled', code: 'GW_ERR_RELAY_FILE_LIMIT', recorded: 0 });
    expect(String(filled!.message)).not.toMatch(/no free port/);
    const bound = filled!.bound as number;
    expect(bound).toBeGreaterThan(10);
    expect(bound).toBeLessThan(100);

    // The restart: 5 fewer files than before, so 5 devices wait; none of them makes restore fail.
    expect(restored).toMatchObject({ step: 'restored', report: { recorded: bound, bound: bound - 5, unbound: 5, fileLimit: 'low' }, pending: 5, open: bound - 5 });
    expect(restored!.unbound).toEqual(Array(5).fill('GW_ERR_RELAY_FILE_LIMIT'));
    // Out of files: 10 retries a second apart run 4 passes (at 0, 1, 3 and 7 s: the wait doubles)
    // and each stops at its first EMFILE: 4 failed binds, not 10 × 5.
    expect(backoff).toEqual({ step: 'backoff', ticks: 10, failedBinds: 4, fileLimitFailures: 4, pending: 5 });
    // A socket freed ends the wait: the next retry (same clock reading) binds one device in the freed file.
    expect(released).toEqual({ step: 'released', rebound: 1, pending: 4, open: bound - 5 });
    expect(retried).toEqual({ step: 'retried', rebound: 5, pending: 0, open: bound - 1 });
  });
});
