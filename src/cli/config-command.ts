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
 */
import type { Command } from 'commander';
import type { CliIo } from './io.ts';

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
