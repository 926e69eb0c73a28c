/**
 * The life of `smsbridge run` as a process: configuration, logger, gateway, signals, stop.
 * The command (run-command.ts) parses the options and loads this module.
 */
import { assessCapacityFiles, readOpenFileLimit } from '../bridge/open-file-limit.ts';
import { loadConfigFile, redactRedisUrl, type Config } from '../config/index.ts';
import { toGatewayConfig } from '../gateway/config-to-gateway.ts';
import { Gateway } from '../gateway/gateway.ts';
import { createLogger, type Logger } from '../log/index.ts';
import { GatewayError } from '../shared/errors.ts';
import type { CliIo } from './io.ts';
import { superviseService } from './service-supervisor.ts';
import { AdminServer } from '../admin/admin-server.ts';
import { optionError } from './options.ts';
import { packageVersion } from './version.ts';

/** What one run is asked to do. */
export interface ServiceRun {
  readonly configPath: string;
  /** Modems whose AT trace is on from the start. */
  readonly atTrace?: 'all' | readonly string[];
}

/** Longest time the gateway's own stop may take; the lifecycle's bound (10 s) is above it. */
const GATEWAY_STOP_TIMEOUT_MS = 9000;

/** What is logged of the configuration at start: where things are, never a secret. */
function startFields(configPath: string, config: Config): Record<string, unknown> {
  return {
    config: configPath,
    redis: redactRedisUrl(config.redis.url),
    core: config.core,
    udpListen: config.udpListen,
    modems: config.modems.map((modem) => ({ name: modem.name, path: modem.path, groups: modem.groups })),
  };
}

/**
 * Loads the configuration (a bad file rejects with GW_ERR_CONFIG before anything starts; a
 * `coreSockets.capacity` above the hard open-file limit with GW_ERR_RELAY_FILE_LIMIT, before
 * Redis is waited for), starts
 * the gateway and runs it until SIGTERM or SIGINT, then stops it in order. Under a real process
 * ({@link CliIo.signals}) the end goes through the ServiceLifecycle (src/cli/service-supervisor.ts): exit 0 after a clean
 * stop, 1 when the stop failed or ran out of time, at once on a second signal. A signal while
 * the gateway is still starting (waiting for Redis) ends the start-up and exits 0.
 */
export async function runService(run: ServiceRun, io: CliIo): Promise<void> {
  const config = await loadConfigFile(run.configPath, io.env ?? {});
  // --at-trace names modems of this file: checked now, before anything waits for Redis.
  const unknownModem = run.atTrace === undefined || run.atTrace === 'all' ? undefined : run.atTrace.find((name) => !config.modems.some((modem) => modem.name === name));
  if (unknownModem !== undefined) throw optionError('--at-trace', `no modem named "${unknownModem}" in ${run.configPath}; its modems: ${config.modems.map((modem) => modem.name).join(', ')} (or all)`);
  // A coreSockets.capacity this process's hard open-file limit can never hold: refused now, as the
  // socket pool would refuse it after Redis is up (src/bridge/open-file-limit.ts, docs/scaling.md).
  const files = assessCapacityFiles(readOpenFileLimit(), config.coreSockets.capacity);
  if (files instanceof GatewayError) throw files;
  const logger = createLogger({ level: config.log.level, pretty: io.isTerminal === true, destination: { write: (text) => io.out(text.trimEnd()) } });
  const supervisor = superviseService(io, (line) => logger.info(line));
  logger.info(startFields(run.configPath, config), 'starting');
  let gateway: Gateway;
  try {
    gateway = await Gateway.start(toGatewayConfig(config), { logger, signal: supervisor.startSignal, ...(run.atTrace === undefined ? {} : { atTrace: run.atTrace }) });
  } catch (error) {
    if (supervisor.startSignal.aborted && error instanceof GatewayError && error.code === 'GW_ERR_START_ABORTED') {
      logger.info('stopped while starting');
      await supervisor.finish(async () => undefined); // exits 0 under the lifecycle
      return;
    }
    supervisor.abandon();
    logger.error({ err: error }, 'the gateway did not start');
    throw error;
  }
  let admin: AdminServer | null = null;
  try {
    admin = await startAdmin(config, gateway, logger);
  } catch (error) {
    supervisor.abandon();
    logger.error({ err: error }, 'the admin API did not start');
    await gateway.stop({ timeoutMs: GATEWAY_STOP_TIMEOUT_MS });
    throw error; // GW_ERR_CONFIG naming admin.listen or admin.metricsListen
  }
  supervisor.onAtTraceSignal(() => logger.info({ atTrace: gateway.toggleAtTrace() }, 'AT trace switched by SIGUSR2'));
  logger.info({ udp: gateway.udpAddress }, 'running');
  await supervisor.stopRequested;
  await supervisor.finish(async () => {
    await admin?.stop(); // the API first: it reads the gateway
    await stopGateway(gateway, logger);
  });
}

/** The admin API when `admin.enabled` (the loader guarantees a token then), else null. */
async function startAdmin(config: Config, gateway: Gateway, logger: Logger): Promise<AdminServer | null> {
  if (!config.admin.enabled || config.admin.token === null) return null;
  return AdminServer.start(gateway, {
    host: config.admin.listen.host, port: config.admin.listen.port, bodyLimitBytes: config.admin.bodyLimitBytes,
    metricsListen: config.admin.metricsListen.enabled ? { host: config.admin.metricsListen.host, port: config.admin.metricsListen.port } : null,
    tokens: { readWrite: config.admin.token, readOnly: config.admin.readOnlyToken }, version: packageVersion(), logger,
  });
}

async function stopGateway(gateway: Gateway, logger: Logger): Promise<void> {
  const result = await gateway.stop({ timeoutMs: GATEWAY_STOP_TIMEOUT_MS });
  if (!result.clean) {
    logger.error({ unfinishedStep: result.unfinishedStep }, 'the gateway did not stop cleanly');
    throw new GatewayError('GW_ERR_INTERNAL', `stop did not finish: ${result.unfinishedStep ?? 'unknown step'}`);
  }
}
