/**
 * `smsbridge run --config <file>`: the gateway as a service, the front door for sysadmins and
 * the systemd unit (hardware/systemd/lwm2m-sms-bridge.service).
 *
 * ```
 * smsbridge run --config /etc/lwm2m-sms-bridge/config.yaml [--at-trace modem-1,modem-2|all]
 * ```
 *
 * The file is loaded and checked exactly as `smsbridge config check` does; a bad file is one
 * `GW_ERR_CONFIG` object on stderr and exit 1, and nothing starts. Logs are JSON lines on
 * stdout (readable lines on a terminal). SIGTERM or SIGINT stop the gateway in order within
 * 10 s (exit 0); a second signal exits at once; SIGUSR2 switches the AT trace of every modem.
 * The gateway's modules load only when this command runs.
 */
import type { Command } from 'commander';
import type { CliIo } from './io.ts';

interface RunCliOptions {
  config: string;
  atTrace?: string;
}

/** Adds `run` to `program`. */
export function addRunCommand(program: Command, io: CliIo): void {
  program
    .command('run')
    .description('run the gateway with a YAML configuration file (see config/default.yaml)')
    .requiredOption('-c, --config <file>', 'the configuration file')
    .option('--at-trace <modems>', 'AT trace from the start: modem names separated by commas, or all (SIGUSR2 switches it later)')
    .action(async (options: RunCliOptions) => {
      const { runService } = await import('./run-service.ts');
      const atTrace = options.atTrace === undefined ? undefined : options.atTrace === 'all' ? 'all' : options.atTrace.split(',').map((name) => name.trim()).filter((name) => name !== '');
      await runService({ configPath: options.config, ...(atTrace === undefined ? {} : { atTrace }) }, io);
    });
}
