/**
 * Reliability scenario `crash`: kill -9 of the gateway process at random moments under load.
 *
 * Real processes: `smsbridge sim network`, two `smsbridge sim modem`s on pseudo-terminals, and
 * `smsbridge run --config` (a private redis-server beside them). In this process: the core
 * (support/counting-core.ts, RFC 7252 de-duplication, counting what its application sees) and
 * the devices (support/sms-devices.ts, handsets on the simulated network). While the devices send
 * N uplinks by SMS (a third of them concatenated, a quarter confirmable LwM2M Sends, the rest
 * NON notifications) and the core sends M confirmable requests to them, the gateway is killed
 * with SIGKILL K times at random moments (seeded) and restarted each time.
 *
 * Counted at the end: every uplink reached the core's application exactly once (lost,
 * duplicated); every request went out by SMS at most once (the device counts SMS per token:
 * duplicated), and one not answered is an unknown outcome to the core (its request timed out);
 * recovered: uplinks sent before a kill that reached the core after the restart, and requests
 * sent before a kill answered after it.
 *
 * Debugging: CRASH_BENCH_LOG=<file> keeps every gateway's log there; CRASH_BENCH_AT_TRACE=1 adds the AT trace.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrivateRedis } from '../../src/sim/private-redis.ts';
import { seededRandom } from '../../test/support/seeded-random.ts';
import { runConfigYaml, startSmsbridge, type SmsbridgeProcess } from '../../test/support/smsbridge-run.ts';
import { CountingCore } from '../support/counting-core.ts';
import { round } from '../support/numbers.ts';
import { connectSmsDevices } from '../support/sms-devices.ts';
import type { ReliabilityScenario, ScenarioOptions } from './scenario.ts';

const GATEWAY_NUMBERS = ['+491720000071', '+491720000072'];
/** No progress (a new uplink or answer at the core) for this long ends the wait for stragglers. */
const QUIET_MS = 45_000;

interface Plan {
  readonly devices: number;
  readonly uplinks: number;
  readonly requests: number;
  readonly kills: number;
  /** The traffic is spread over this time; the kills fall inside it. */
  readonly trafficMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function configYaml(redisPort: number, dir: string, corePort: number): string {
  return runConfigYaml({
    redisUrl: `redis://127.0.0.1:${redisPort}`, redisPrefix: 'crash-bench:', core: { host: '127.0.0.1', port: corePort }, udpPort: 0,
    coreSocketPorts: [47100, 47999], modems: GATEWAY_NUMBERS.map((_, i) => ({ name: `modem-${i + 1}`, path: join(dir, `ttyModem${i}`) })),
  });
}

async function runCrash(options: ScenarioOptions): Promise<Record<string, unknown>> {
  const plan: Plan = options.quick
    ? { devices: 20, uplinks: 100, requests: 50, kills: 2, trafficMs: 20_000 }
    : { devices: 100, uplinks: 1000, requests: 500, kills: 5, trafficMs: 60_000 };
  const random = seededRandom(0xc4a54);
  const redis = await startPrivateRedis();
  const dir = await mkdtemp(join(tmpdir(), 'smsbridge-crash-bench-'));
  const procs: SmsbridgeProcess[] = [];
  const core = await CountingCore.start();
  let devices: Awaited<ReturnType<typeof connectSmsDevices>> | null = null;
  try {
    const network = startSmsbridge(['sim', 'network', '--listen', '127.0.0.1:0', '--delivery-delay-ms', '0']);
    procs.push(network);
    const [host, port] = (await network.stdout.waitFor(/"listening":"([^"]+)"/))[1]!.split(':');
    for (const [i, msisdn] of GATEWAY_NUMBERS.entries()) {
      const modem = startSmsbridge(['sim', 'modem', '--msisdn', msisdn, '--link', join(dir, `ttyModem${i}`), '--network', `${host}:${port}`, '--profile', i === 0 ? 'ec25' : 'sim800']);
      procs.push(modem);
      await modem.stdout.waitFor(/"modem":/);
    }
    const configPath = join(dir, 'gateway.yaml');
    await writeFile(configPath, configYaml(redis.port, dir, core.port));
    const startGateway = async (): Promise<SmsbridgeProcess> => {
      const gateway = startSmsbridge(['run', '--config', configPath, ...(process.env.CRASH_BENCH_AT_TRACE === '1' ? ['--at-trace', 'all'] : [])]);
      procs.push(gateway);
      await gateway.stdout.waitFor(/"msg":"running"/, 120_000);
      return gateway;
    };
    let gateway = await startGateway();

    devices = await connectSmsDevices({ host: host!, port: Number(port) }, plan.devices, GATEWAY_NUMBERS);
    const fleet = devices;
    await fleet.register();
    await until(() => fleet.devices.every((device) => device.registered), 120_000, 'every device registered');

    // Traffic and kills at once.
    const startedAtMs = Date.now();
    const sentAtMs = new Map<string, number>();
    let uplinkFailures = 0;
    const uplinks = (async () => {
      for (let i = 0; i < plan.uplinks; i++) {
        await sleepUntil(startedAtMs + (i * plan.trafficMs) / plan.uplinks);
        const id = `u${i}`;
        try {
          await fleet.uplink(i % plan.devices, id, i % 4 === 0, i % 3 === 0 ? 200 : 0);
          sentAtMs.set(id, Date.now());
        } catch {
          uplinkFailures += 1; // the network refused it: not the gateway's to lose
        }
      }
    })();
    const requests = (async () => {
      for (let j = 0; j < plan.requests; j++) {
        await sleepUntil(startedAtMs + (j * plan.trafficMs) / plan.requests);
        core.request(fleet.devices[j % plan.devices]!.endpoint, Buffer.from(`r${String(j).padStart(5, '0')}`));
      }
    })();
    const killAtMs = Array.from({ length: plan.kills }, (_, k) => (plan.trafficMs * (k + 0.2 + 0.6 * random())) / plan.kills).sort((a, b) => a - b);
    const kills: { atMs: number; restartMs: number }[] = [];
    for (const offsetMs of killAtMs) {
      await sleepUntil(startedAtMs + offsetMs);
      const atMs = Date.now();
      gateway.child.kill('SIGKILL');
      await gateway.exited;
      gateway = await startGateway();
      kills.push({ atMs, restartMs: Date.now() - atMs });
    }
    await Promise.all([uplinks, requests]);

    // Stragglers: until everything arrived, or nothing moved for QUIET_MS.
    let progress = -1;
    let progressAtMs = Date.now();
    for (;;) {
      const now = progressOf(core);
      if (now !== progress) {
        progress = now;
        progressAtMs = Date.now();
      }
      const complete = core.uplinksById.size >= sentAtMs.size && [...core.requests.values()].every((r) => r.answeredAtMs !== null || r.errorCode !== null);
      if (complete || Date.now() - progressAtMs > QUIET_MS) break;
      await sleep(250);
    }

    const counts = [...sentAtMs.keys()].map((id) => core.uplinksById.get(id)?.count ?? 0);
    const lost = counts.filter((count) => count === 0).length;
    const duplicated = counts.filter((count) => count > 1).length;
    const recoveredUplinks = [...sentAtMs].filter(([id, at]) => {
      const first = core.uplinksById.get(id)?.firstAtMs;
      return first !== undefined && kills.some((kill) => at <= kill.atMs && first >= kill.atMs);
    }).length;
    const outcomes = [...core.requests.values()];
    const smsPerRequest = outcomes.map((r) => fleet.requestsByToken.get(r.tokenHex) ?? 0);
    const downlinkDuplicated = smsPerRequest.filter((n) => n > 1).length;
    const answered = outcomes.filter((r) => r.answeredAtMs !== null).length;
    const recoveredRequests = outcomes.filter((r) => r.answeredAtMs !== null && kills.some((kill) => r.sentAtMs <= kill.atMs && r.answeredAtMs! >= kill.atMs)).length;
    const figures = {
      plan,
      kills: kills.length,
      restartMs: kills.map((kill) => kill.restartMs),
      uplink: {
        sent: sentAtMs.size, refusedByNetwork: uplinkFailures, deliveredOnce: counts.filter((c) => c === 1).length, lost, duplicated,
        recovered: recoveredUplinks, resentAbsorbedByCore: core.duplicatesAbsorbed,
        lostIds: [...sentAtMs.keys()].filter((id) => !core.uplinksById.has(id)).slice(0, 20),
      },
      downlink: {
        requests: outcomes.length,
        smsOnce: smsPerRequest.filter((n) => n === 1).length,
        smsNever: smsPerRequest.filter((n) => n === 0).length,
        duplicated: downlinkDuplicated,
        answered,
        /** The gateway told the core it could not send the SMS (5.03): a known outcome. */
        refusedByGateway: outcomes.filter((r) => r.answeredAtMs === null && r.errorCode !== null).length,
        unknownOutcome: outcomes.filter((r) => r.answeredAtMs === null && r.errorCode === null).length,
        neverAcknowledged: outcomes.filter((r) => r.ackedAtMs === null).length,
        recovered: recoveredRequests,
        extraAnswers: outcomes.reduce((sum, r) => sum + r.extraAnswers, 0),
      },
      elapsedSec: round((Date.now() - startedAtMs) / 1000, 1),
      pass: lost === 0 && duplicated === 0 && downlinkDuplicated === 0 && kills.length === plan.kills,
    };
    gateway.child.kill('SIGTERM');
    await gateway.exited;
    if (process.env.CRASH_BENCH_LOG !== undefined) {
      await writeFile(process.env.CRASH_BENCH_LOG, procs.filter((proc) => proc.stdout.text.includes('"msg":"running"')).map((proc) => proc.stdout.text).join('\n=== restart ===\n'));
    }
    return figures;
  } finally {
    await devices?.close();
    for (const proc of procs.reverse()) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGTERM');
    await Promise.all(procs.map((proc) => proc.exited));
    await core.stop();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function progressOf(core: CountingCore): number {
  let answered = 0;
  for (const request of core.requests.values()) if (request.answeredAtMs !== null || request.errorCode !== null) answered += 1;
  return core.uplinksById.size * 100_000 + answered;
}

async function sleepUntil(atMs: number): Promise<void> {
  const waitMs = atMs - Date.now();
  if (waitMs > 0) await sleep(waitMs);
}

async function until(check: () => boolean, safetyMs: number, what: string): Promise<void> {
  const deadline = Date.now() + safetyMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

/** See the file comment. */
export const crash: ReliabilityScenario = { name: 'crash', run: runCrash };
