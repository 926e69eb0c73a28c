/**
 * The demo's run: the lab until `--duration` or a signal, a live table, and the summary; the
 * command (demo-command.ts) parses the options and loads this module.
 */
import { Lab } from '../lab/lab.ts';
import { createLogger } from '../log/index.ts';
import { LiveTable, RequestTally, summarise, summaryLines, type DemoTallies } from './demo-report.ts';
import type { CliIo } from './io.ts';
import { superviseService } from './service-supervisor.ts';

/** The demo's devices: one per kind of binding that matters. */
const DEMO_DEVICES = [
  { msisdn: '+491701110001', endpoint: 'meter-sms-only', binding: 'S', modem: 0 },
  { msisdn: '+491701110002', endpoint: 'tracker-uqs', binding: 'UQS', modem: 1 },
  { msisdn: '+491701110003', endpoint: 'sensor-udp', binding: 'U', modem: 0 },
  { msisdn: '+491701110004', endpoint: 'valve-sq', binding: 'SQ', modem: 1 },
] as const;

/** What one demo run is asked to do. */
export interface DemoRun {
  readonly redisUrl: string | null;
  /** 0: until a signal. */
  readonly durationSec: number;
  readonly readIntervalMs: number;
}

/** How often the live table is refreshed. */
const TABLE_INTERVAL_MS = 2000;

/**
 * Runs the lab until `durationSec` passes or a signal comes, then prints the summary and stops
 * everything in order (devices, gateway, core, modems, network, Redis last). Under the real
 * process (src/cli/service-supervisor.ts): the end is bounded and a second signal exits at
 * once; see ServiceLifecycle's exit codes.
 */
export async function runDemo(run: DemoRun, io: CliIo): Promise<void> {
  const supervisor = superviseService(io, (line) => io.err(line));
  const stopRequested = supervisor.stopRequested;
  io.err(`starting: ${run.redisUrl === null ? 'private Redis, ' : ''}simulated SMS network, 2 simulated modems, gateway, lab core, 4 devices …`);
  // Warnings and errors of the gateway on stderr (the table is on stdout); a signal aborts a
  // start-up that waits for an unreachable Redis; SIGUSR2 switches the AT trace.
  const logger = createLogger({ level: 'warn', pretty: io.stderrIsTerminal === true, destination: { write: (text) => io.err(text.trimEnd()) } });
  const starting = Lab.start({
    gatewayStart: { logger, signal: supervisor.startSignal },
    redisUrl: run.redisUrl,
    devices: DEMO_DEVICES.map((d) => ({ ...d, lifetimeSec: 120, awakeWindowMs: 8000, coap: { responseTimeoutMs: 30_000 } })),
    gateway: { awakeWindowMs: 8000 },
    core: { responseTimeoutMs: 60_000 },
  });
  // A signal while the lab is still starting (a Redis that does not answer, a slow machine):
  // stop as soon as it is up, within the lifecycle's bound.
  const lab = await Promise.race([starting, stopRequested.then(() => null)]).catch((error: unknown) => {
    supervisor.abandon();
    throw error;
  });
  if (lab === null) {
    io.err('stopped while starting');
    const stopStarted = async (): Promise<void> => void (await (await starting.catch(() => null))?.stop());
    await supervisor.finish(stopStarted); // exits the process under the lifecycle
    return;
  }
  const redis = lab.privateRedis;
  io.err(`running: ${redis ? `private Redis pid ${redis.pid} on port ${redis.port} in ${redis.dir}, ` : ''}modem links in ${lab.dir}`);
  io.err(`gateway: as \`smsbridge run --config ${lab.configPath}\` would run it`);
  supervisor.onAtTraceSignal(() => lab.gateway.toggleAtTrace());
  const startedAtMs = Date.now();
  const tallies: DemoTallies = { reads: new RequestTally('reads of /3/0'), triggers: new RequestTally('triggers of /1/0/8') };
  let turn = 0;
  const requester = setInterval(() => {
    const clients = lab.core.clients();
    if (clients.length === 0) return;
    const client = clients[turn++ % clients.length]!;
    // Every fourth turn: the Registration Update Trigger (LwM2M Core §E.2, /1/x/8), else a Read of the Device object.
    if (turn % 4 === 0) tallies.triggers.track(lab.core.execute(client.endpoint, '/1/0/8'));
    else tallies.reads.track(lab.core.read(client.endpoint, '/3/0'));
  }, run.readIntervalMs);
  const table = new LiveTable((line) => io.out(line), io.isTerminal === true);
  const draw = async (): Promise<void> => table.draw(lab, await lab.gateway.status(), tallies, startedAtMs, Date.now());
  const refresher = setInterval(() => void draw().catch(() => undefined), TABLE_INTERVAL_MS);
  let durationTimer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    stopRequested,
    ...(run.durationSec > 0 ? [new Promise<string>((resolve) => (durationTimer = setTimeout(() => resolve('duration'), run.durationSec * 1000)))] : []),
  ]);
  clearTimeout(durationTimer);
  clearInterval(requester);
  clearInterval(refresher);
  const finish = async (): Promise<void> => {
    const status = await lab.gateway.status();
    table.draw(lab, status, tallies, startedAtMs, Date.now());
    const summary = summarise(lab, status, tallies, (Date.now() - startedAtMs) / 1000, ended);
    // Text and JSON from the same moment: stopping the lab fails the requests still pending.
    const lines = summaryLines(summary, tallies);
    await lab.stop();
    io.out('');
    for (const line of lines) io.out(line);
    io.json({ summary });
  };
  await supervisor.finish(finish); // exits the process under the lifecycle
}
