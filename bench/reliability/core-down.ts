/**
 * Reliability scenario `core-down`: the lab core stops answering (SIGSTOP: its process is frozen,
 * its socket still there, datagrams pile up in the kernel and then are dropped) while devices
 * keep sending: SMS and UDP devices their Updates (and CoAP retransmissions), and four more UDP
 * hosts a stream of Registers of new endpoints (what a fleet does after a network outage). The
 * gateway must not buffer uplink without bound: its resident memory and open files are sampled
 * throughout, and what it kept or dropped is read from its log (by rule: the admission policy's
 * per-source registration limit, the UDP flood limit, the core's silence on a Register). After
 * SIGCONT everything must recover by itself: every device's Update answered again and a Read of
 * every device answered. See docs/reliability.md#core-down.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CoapCode, coapRequest, encodeCoap } from '../../src/lwm2m/index.ts';
import { startPrivateRedis } from '../../src/sim/private-redis.ts';
import { p50Max, startFaultRig, startLoad, until, type FaultRig } from './fault-rig.ts';

/** The scenario's figures (the JSON of its last line). */
export interface CoreDownResult extends Record<string, unknown> {
  readonly scenario: 'core-down';
  readonly smsDevices: number;
  readonly udpDevices: number;
  readonly outageSec: number;
  /** Registers of new endpoints sent during the outage (from 4 hosts) and datagrams sent in all. */
  readonly newcomerRegistersSent: number;
  /** Gateway resident set size, MiB: before the outage, the highest during it, after recovery. */
  readonly rssMiB: { readonly before: number; readonly peakDuring: number; readonly after: number };
  /** Open file descriptors of the gateway (sockets included): before, peak during, after. */
  readonly openFiles: { readonly before: number; readonly peakDuring: number; readonly after: number };
  /** What the gateway kept or refused during the outage, by rule (counted from its log). */
  readonly refused: Readonly<Record<string, number>>;
  /** SIGCONT → every device had an Update answered again; → a Read of every device answered. */
  readonly recovery: { readonly allUpdatesMs: number; readonly allReadsMs: number; readonly readP50Max: ReturnType<typeof p50Max> };
  readonly updatesSent: number;
  readonly updatesAnswered: number;
  readonly readsSent: number;
  readonly readsOk: number;
  readonly readsFailed: Readonly<Record<string, number>>;
  readonly gatewayStillRunning: boolean;
  readonly pass: boolean;
}

const mib = (kib: number): number => Math.round((kib / 1024) * 10) / 10;

function openFiles(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

async function udpSocket(host: string): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', () => undefined); // answers (4.03, RST…) are not needed
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  return socket;
}

/** Counts the gateway's log lines from `from` on by what they say was refused or released. */
function refusedByRule(rig: FaultRig, from: number): Record<string, number> {
  const counts: Record<string, number> = {};
  const add = (key: string, n = 1): void => void (counts[key] = (counts[key] ?? 0) + n);
  for (const { record } of rig.gateway.lines.slice(from)) {
    if (record.summary === true && typeof record.dropped === 'number') add(`${String(record.reason)} (summarised)`, record.dropped);
    else if (typeof record.msg === 'string' && record.msg.startsWith('dropped: ')) add(String(record.reason ?? record.msg));
    else if (record.msg === 'the core never answered the Register') add('register-unanswered (record and port released)');
    else if (record.msg === 'the core refused the Register') add('register-rejected');
    else if (typeof record.msg === 'string' && record.msg.startsWith('answered the core')) add(`answered-by-gateway ${String(record.reason)}`);
  }
  return counts;
}

/** Runs the scenario; `quick`: a shorter outage and fewer devices. */
export async function run(options: { quick: boolean }): Promise<CoreDownResult> {
  const smsDevices = options.quick ? 2 : 4;
  const udpDevices = options.quick ? 4 : 8;
  const outageMs = options.quick ? 20_000 : 60_000;
  const redis = await startPrivateRedis();
  let rig: FaultRig | null = null;
  const sockets: Socket[] = [];
  try {
    // A short Register answer timeout, so that the release of unanswered Registers shows within the run.
    rig = await startFaultRig({ redisUrl: redis.url, devices: smsDevices, udpDevices, extraYaml: 'registration:\n  registerAnswerTimeoutMs: 10000\n' });
    const gateway = rig.gateway;
    const load = startLoad(rig, { updateGapMs: 100, readers: 2, readGapMs: 50 });
    await until('the load is flowing', () => load.updatesAnswered() >= rig!.devices.length * 2 && load.readsOk() >= 4);
    const rssBefore = gateway.rssKiB();
    const filesBefore = openFiles(gateway.pid);
    let rssPeak = rssBefore;
    let filesPeak = filesBefore;
    const sample = setInterval(() => {
      rssPeak = Math.max(rssPeak, gateway.rssKiB());
      filesPeak = Math.max(filesPeak, openFiles(gateway.pid));
    }, 250);

    const from = gateway.lines.length;
    rig.core.child.kill('SIGSTOP');
    const stoppedAt = performance.now();
    // Newcomers: four hosts, each sending Registers of new endpoints, 25 a second, all the outage long.
    for (const host of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']) sockets.push(await udpSocket(host));
    let newcomerRegistersSent = 0;
    while (performance.now() - stoppedAt < outageMs) {
      for (const [h, socket] of sockets.entries()) {
        const n = newcomerRegistersSent++;
        const register = coapRequest({
          code: CoapCode.POST, messageId: n & 0xffff, token: Uint8Array.of(h, (n >> 8) & 0xff, n & 0xff), path: ['rd'],
          query: [`ep=newcomer-${h}-${n}`, 'lt=300', 'lwm2m=1.0', 'b=U'], contentFormat: 40, payload: '</1/0>,</3/0>',
        });
        socket.send(encodeCoap(register), rig.udpPort, '127.0.0.1');
      }
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    const rssDuring = rssPeak;
    const filesDuring = filesPeak;
    const refused = refusedByRule(rig, from);

    const answeredAt = new Map<number, number>();
    rig.core.child.kill('SIGCONT');
    const resumedAt = performance.now();
    const updatesAtResume = rig.devices.map((d) => d.stats.updates);
    await until('every device had an Update answered again', () => {
      rig!.devices.forEach((d, i) => {
        if (!answeredAt.has(i) && d.stats.updates > updatesAtResume[i]!) answeredAt.set(i, performance.now());
      });
      return answeredAt.size === rig!.devices.length;
    });
    const allUpdatesMs = Math.max(...answeredAt.values()) - resumedAt;
    const readMs: number[] = [];
    await Promise.all(rig.endpoints.map(async (endpoint) => {
      for (;;) {
        const code = await rig!.read(endpoint, 30_000);
        if (code === '2.05') break;
      }
      readMs.push(performance.now() - resumedAt);
    }));
    const allReadsMs = Math.max(...readMs);
    const result = await load.stop();
    clearInterval(sample);
    const rssAfter = gateway.rssKiB();
    const filesAfter = openFiles(gateway.pid);
    const running = gateway.child.exitCode === null;
    return {
      scenario: 'core-down', smsDevices, udpDevices, outageSec: outageMs / 1000, newcomerRegistersSent,
      rssMiB: { before: mib(rssBefore), peakDuring: mib(rssDuring), after: mib(rssAfter) },
      openFiles: { before: filesBefore, peakDuring: filesDuring, after: filesAfter },
      refused, recovery: { allUpdatesMs: Math.round(allUpdatesMs), allReadsMs: Math.round(allReadsMs), readP50Max: p50Max(readMs) },
      updatesSent: result.updatesSent, updatesAnswered: result.updatesAnswered, readsSent: result.readsSent, readsOk: result.readsOk, readsFailed: result.readsFailed,
      gatewayStillRunning: running,
      // Bounded: open files stay under the admission policy's per-source limit (4 hosts × 64) above the start.
      pass: running && filesDuring <= filesBefore + 4 * 64 + 16,
    };
  } finally {
    for (const socket of sockets) socket.close();
    await rig?.stop();
    await redis.stop();
  }
}

/** The scenario as bench/reliability/index.ts lists it (`npm run bench:reliability -- core-down`). */
export const coreDown = { name: 'core-down', run } as const;
