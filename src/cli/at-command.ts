/**
 * `smsbridge at <device> [command ...]`: a raw AT console for field debugging (the console
 * itself, and serialport with it, is src/cli/at-console.ts, loaded by the action).
 */
import type { Command } from 'commander';
import type { CliIo } from './io.ts';
import { parseBaudRateOption, parseHostPortOption, parseIntegerOption } from './options.ts';

/** Adds the `at` command to `program`. Bad options raise GW_ERR_CONFIG naming the option. */
export function addAtCommand(program: Command, io: CliIo): void {
  program
    .command('at')
    .description('raw AT console on a modem port (interactive when no command is given)')
    .argument('<device>', 'serial device (/dev/serial/by-id/…, /dev/ttyUSB2) or tcp://host:port')
    .argument('[commands...]', 'commands to run, e.g. ATI AT+CSQ "AT+CPMS?"')
    .option('--baud <rate>', 'baud rate', '115200')
    .option('--timeout-ms <ms>', 'time for each command\'s final result', '10000')
    .action(async (device: string, commands: string[], options: { baud: string; timeoutMs: string }) => {
      // A raw TCP serial server: its address is checked like every host:port option.
      if (device.startsWith('tcp://')) parseHostPortOption(device.slice('tcp://'.length), '<device>');
      const settings = {
        baudRate: parseBaudRateOption(options.baud, '--baud'),
        timeoutMs: parseIntegerOption(options.timeoutMs, '--timeout-ms', { min: 1, max: 3_600_000 }),
      };
      const { runAtConsole } = await import('./at-console.ts');
      await runAtConsole(device, commands, settings, io);
    });
}
