/**
 * Run as a process by the TLS test (so NODE_EXTRA_CA_CERTS, read at start-up, can name the
 * test's own CA): connects the gateway's Redis client to the URL in argv[2], writes and reads a
 * key, and prints one JSON line `{ status, value }`.
 */
import { createGatewayRedis, waitForRedis } from '../../src/gateway/gateway-redis.ts';
import { silentLogger } from '../../src/log/index.ts';

const client = createGatewayRedis(process.argv[2] ?? '', 'commands', silentLogger(), { minDelayMs: 100, maxDelayMs: 500 });
await waitForRedis(client, AbortSignal.timeout(20_000));
await client.set('probe', 'over-tls');
console.log(JSON.stringify({ status: client.status, value: await client.get('probe') }));
client.disconnect();
