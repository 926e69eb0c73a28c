/**
 * `smsbridge config …`: the configuration file.
 *
 * ```
 * smsbridge config check /etc/lwm2m-sms-bridge/config.yaml
 * smsbridge config print-defaults > config.yaml
 * ```
 *
 * `check` loads the file exactly as `run` does (schema, cross-key rules, secrets from the
 * environment and files) and prints one JSON summary with every secret redacted, or the
 * `GW_ERR_CONFIG` error (key, line, column, expected; all problems in `problems`) on stderr
 * with exit code 1. The config module is loaded only when a `config` command runs.
 *
 * The summary also holds this process's open-file limit (`openFiles`) and `warnings`: when
 * `coreSockets.capacity` needs more open files than that limit allows (the policy of
 * src/bridge/open-file-limit.ts, docs/scaling.md), a warning with code GW_ERR_RELAY_FILE_LIMIT,
 * also printed on stderr as `warning: …`. A warning, not a problem: the file is right, and the
 * service runs under its unit's LimitNOFILE, which may differ from the limit of the shell that
 * runs the check. Exit code 0 either way.
 */
import type { Command } from 'commander';
import type { CliIo } from './io.ts';

/** Something `config check` found that does not make the file invalid. */
export interface ConfigWarning {
  readonly code: 'GW_ERR_RELAY_FILE_LIMIT';
  readonly key: string;
  readonly message: string;
}

/** An open-file limit for JSON: a number, or "unlimited" (JSON has no Infinity). */
function files(limit: number): number | 'unlimited' {
  return Number.isFinite(limit) ? limit : 'unlimited';
}

/** This process's open-file limit, and what the configured capacity needs of it (see the file comment). */
async function openFilesReport(capacity: number): Promise<{ openFiles: object | null; warnings: ConfigWarning[] }> {
  const { assessCapacityFiles, readOpenFileLimit } = await import('../bridge/open-file-limit.ts');
  const { isGatewayError } = await import('../shared/errors.ts');
  const limit = readOpenFileLimit();
  const verdict = assessCapacityFiles(limit, capacity);
  if (limit === null) return { openFiles: null, warnings: [] };
  const neededForCapacity = capacity <= 0 ? null : isGatewayError(verdict) ? Number(verdict.details['neededFiles']) : verdict.neededFiles;
  const openFiles = { soft: files(limit.soft), hard: files(limit.hard), neededForCapacity };
  if (isGatewayError(verdict)) {
    const message = `${verdict.message} (the hard limit of this process; \`smsbridge run\` under it refuses to start with GW_ERR_RELAY_FILE_LIMIT; the service's limit is LimitNOFILE in its systemd unit)`;
    return { openFiles, warnings: [{ code: 'GW_ERR_RELAY_FILE_LIMIT', key: 'coreSockets.capacity', message }] };
  }
  if (verdict.verdict === 'low') {
    const message = `coreSockets.capacity ${capacity} needs ${verdict.neededFiles} open files, above the soft limit ${limit.soft} of this process: devices beyond it get no socket until the limit is raised`;
    return { openFiles, warnings: [{ code: 'GW_ERR_RELAY_FILE_LIMIT', key: 'coreSockets.capacity', message }] };
  }
  return { openFiles, warnings: [] };
}

/** Adds `smsbridge config check <file>` and `smsbridge config print-defaults` to `program`. */
export function addConfigCommand(program: Command, io: CliIo): void {
  const config = program.command('config').description('check a configuration file, or print the defaults');
  config
    .command('check')
    .description('validate a YAML configuration file (secrets resolved from the environment and files); prints a summary')
    .argument('<file>', 'the configuration file')
    .action(async (file: string) => {
      const { loadConfigFile, redactConfig, redactRedisUrl } = await import('../config/index.ts');
      const loaded = redactConfig(await loadConfigFile(file, io.env ?? {}));
      const { openFiles, warnings } = await openFilesReport(loaded.coreSockets.capacity);
      for (const warning of warnings) io.err(`warning: ${warning.key}: ${warning.message}`);
      io.json({
        ok: true,
        file,
        logLevel: loaded.log.level,
        redis: redactRedisUrl(loaded.redis.url),
        redisPassword: loaded.redis.password === null ? null : loaded.redis.passwordEnv !== null ? 'passwordEnv' : loaded.redis.passwordFile !== null ? 'passwordFile' : 'url',
        core: loaded.core,
        udpListen: loaded.udpListen,
        coreSockets: loaded.coreSockets,
        modems: loaded.modems.map((modem) => ({
          name: modem.name,
          path: modem.path,
          groups: modem.groups,
          profile: modem.profile,
          pin: modem.pin === null ? null : modem.pinEnv !== null ? 'pinEnv' : 'pinFile',
        })),
        routes: loaded.routes.length,
        senderPolicy: { mode: loaded.senderPolicy.mode, entries: loaded.senderPolicy.entries.length },
        admin: {
          enabled: loaded.admin.enabled, listen: loaded.admin.listen,
          token: loaded.admin.token === null ? null : loaded.admin.tokenEnv !== null ? 'tokenEnv' : 'tokenFile',
          readOnlyToken: loaded.admin.readOnlyToken === null ? null : loaded.admin.readOnlyTokenEnv !== null ? 'readOnlyTokenEnv' : 'readOnlyTokenFile',
        },
        udpAdmission: { maxRegistrations: loaded.udpAdmission.maxRegistrations },
        openFiles,
        warnings,
      });
    });
  config
    .command('print-defaults')
    .description('print every configuration key with its default and documentation (as config/default.yaml)')
    .action(async () => {
      const { renderDefaultsYaml } = await import('../config/index.ts');
      io.out(renderDefaultsYaml().trimEnd());
    });
}
