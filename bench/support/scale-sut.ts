/**
 * The system under test of the device-scale benchmark, in a process of its own so that its
 * memory and CPU are its own: the gateway (Gateway.start, no modems, the benchmark's private
 * Redis) or the bare dgram forwarder (bench/support/udp-forwarder.ts). Started by
 * bench/device-scale.ts; not meant to be run by hand.
 *
 *   tsx bench/support/scale-sut.ts <gateway|bare> <redis url> <core host> <core port> <bind hosts, comma-separated> <min port> <max port>
 *
 * Protocol, one JSON object per line: on start `{"udp":{host,port},"startMs":…,"startCpuMs":…,"sockets":n,"pending":n}`
 * (`startMs`: Gateway.start until it resolved, i.e. every recorded socket bound or reported;
 * `startCpuMs`: the CPU time this process spent in it; the gateway adds `startPhasesMs`, the
 * socket restore's report `restore`, and `pendingSample`, a few addresses left waiting);
 * `{"op":"measure"}` → `{"rss":…,"heapUsed":…,"sockets":n}` after two full garbage collections;
 * `{"op":"cpu"}` → `{"cpuUs":…}` (user + system since start). When stdin ends, it stops and exits.
 */
import { createInterface } from 'node:readline';
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Gateway } from '../../src/gateway/gateway.ts';
import { startUdpForwarder, type UdpForwarder } from './udp-forwarder.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const [mode = 'gateway', redisUrl = '', coreHost = '127.0.0.1', corePort = '0', bindHosts = '127.0.0.2', minPort = '20000', maxPort = '31999'] = process.argv.slice(2);
const core = { host: coreHost, port: Number(corePort) };
const say = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

let gateway: Gateway | null = null;
let forwarder: UdpForwarder | null = null;
const startedAt = performance.now();
const cpuAtStart = process.cpuUsage();
if (mode === 'gateway') {
  gateway = await Gateway.start({
    redisUrl, redisPrefix: 'smsbridge:', core, udpListen: { host: '127.0.0.1', port: 0 },
    coreSockets: { bindHosts: bindHosts.split(','), portRange: [Number(minPort), Number(maxPort)] },
    modems: [], routes: [], senderPolicy: { mode: 'open' }, awakeWindowMs: 93_000, reassemblyTimeoutSec: 600,
    maintenanceIntervalMs: 1000, profilesDir: null,
    floodLimits: { udpDatagramsPerSecPerSource: 0 }, // every load device sends from one loopback host
    // The swarm is a few addresses with thousands of devices each: no per-source cap.
    udpAdmission: { maxRegistrationsPerSource: 1_000_000, maxRegistrations: 1_000_000 },
  });
} else {
  forwarder = await startUdpForwarder(core);
}
const startMs = performance.now() - startedAt;
const startCpu = process.cpuUsage(cpuAtStart);
const startCpuMs = (startCpu.user + startCpu.system) / 1000;
const sockets = (): number => gateway?.events.sockets?.size ?? forwarder?.upstreamCount ?? 0;
say({
  udp: gateway?.udpAddress ?? forwarder!.address, startMs, startCpuMs, sockets: sockets(), pending: gateway?.events.sockets?.pendingEndpoints.length ?? 0,
  startPhasesMs: gateway?.startPhasesMs ?? {}, restore: gateway?.events.sockets.lastRestore ?? null,
  // A few addresses left waiting (to see who holds them: `ss -uanp`).
  pendingSample: gateway?.events.sockets.pendingEndpoints.slice(0, 5).map((endpoint) => gateway!.events.sockets.addressOf(endpoint)) ?? [],
});

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const { op } = JSON.parse(line) as { op: string };
  if (op === 'measure') {
    gc();
    gc();
    const memory = process.memoryUsage();
    if (process.env.DEVICE_SCALE_HEAPSNAPSHOT && gateway) writeHeapSnapshot(`${process.env.DEVICE_SCALE_HEAPSNAPSHOT}/gw-${process.pid}-${sockets()}.heapsnapshot`);
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, Math.round(space.space_size / 1024)]));
    say({ rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external, spacesKb: spaces, sockets: sockets(), exchanges: gateway?.relay.devicesWithExchanges ?? -1 });
  } else if (op === 'cpu') {
    const cpu = process.cpuUsage();
    say({ cpuUs: cpu.user + cpu.system });
  } else {
    say({ error: `unknown op ${op}` });
  }
});
lines.on('close', () => {
  void (async () => {
    await gateway?.stop();
    await forwarder?.close();
    process.exit(0);
  })();
});
