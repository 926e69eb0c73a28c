/**
 * A core socket pool in a process of its own, run under a low open-file limit
 * (`ulimit -n N`) by test/integration/relay/core-socket-limits.test.ts. Prints one JSON
 * line per step and exits:
 *   1. `filled`: opens sockets for dev-0, dev-1, … until the pool refuses one; the error, and
 *      whether Redis recorded an address for the refused device;
 *   2. `restored`: closes the pool, takes `hog` more files, and restores the bound devices with a
 *      new pool (as a restart would): the report and the `unbound` events;
 *   3. `backoff`: the maintenance timer's retries, once a second for 10 s (the pool's clock is
 *      injected, so no time passes): how many binds failed and how many passes ran;
 *   4. `released`: one bound device is released (its socket closed, a file freed) and the pool
 *      retried at once, at the same clock reading;
 *   5. `retried`: frees the hogged files and retries the waiting devices.
 *
 *   tsx test/support/file-limit-process.ts <redis url> <host> <min port> <max port> <hog>
 */
import { createSocket, type Socket } from 'node:dgram';
import { Redis } from 'ioredis';
import { CoreSocketPool } from '../../src/bridge/core-sockets.ts';
import { isGatewayError } from '../../src/shared/errors.ts';

const [redisUrl = '', host = '127.0.0.1', minPort = '0', maxPort = '0', hog = '5'] = process.argv.slice(2);
const say = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
const options = { bindHosts: [host], portRange: [Number(minPort), Number(maxPort)] as const, prefix: 'limits:' };

const redis = new Redis(redisUrl);
const first = new CoreSocketPool(redis, () => undefined, options);
const endpoints: string[] = [];
for (;;) {
  const endpoint = `dev-${endpoints.length}`;
  try {
    await first.ensure(endpoint);
    endpoints.push(endpoint);
  } catch (error) {
    const recorded = await redis.hexists('limits:port-of', endpoint);
    say({ step: 'filled', bound: endpoints.length, code: isGatewayError(error) ? error.code : null, message: String(error), recorded });
    break;
  }
}
await first.close();

const hogs: Socket[] = [];
for (let i = 0; i < Number(hog); i++) {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  hogs.push(socket);
}
let clockMs = 0;
const second = new CoreSocketPool(redis, () => undefined, { ...options, now: () => clockMs });
const unbound: string[] = [];
second.on('unbound', (event) => unbound.push(event.code));
let rebound = 0;
second.on('rebound', () => (rebound += 1));
const report = await second.restore(endpoints);
say({ step: 'restored', report: { ...report, fileLimit: report.fileLimit.verdict }, unbound, pending: second.pendingEndpoints.length, open: second.size });

const before = { ...second.counters };
for (let tick = 0; tick < 10; tick += 1) {
  clockMs = tick * 1000;
  await second.retryPending();
}
const failedBinds = second.counters.bindFailures - before.bindFailures;
say({ step: 'backoff', ticks: 10, failedBinds, fileLimitFailures: second.counters.fileLimitFailures - before.fileLimitFailures, pending: second.pendingEndpoints.length });

const released = endpoints.find((endpoint) => second.get(endpoint) !== undefined)!;
await second.release(released);
await second.retryPending(); // same clock reading: the freed socket ended the back-off
say({ step: 'released', rebound, pending: second.pendingEndpoints.length, open: second.size });

await Promise.all(hogs.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
await second.retryPending();
say({ step: 'retried', rebound, pending: second.pendingEndpoints.length, open: second.size });
await second.close();
redis.disconnect();
