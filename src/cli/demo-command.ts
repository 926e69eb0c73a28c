/**
 * `smsbridge demo` (also `npm run demo`): the whole gateway on one machine with simulated
 * modems, network and devices, a live table, and a summary at the end.
 */
import type { Command } from 'commander';
import type { CliIo } from './io.ts';
import { parseDecimalOption, parseIntegerOption } from './options.ts';

interface DemoOptions {
  duration: string;
  redis?: string;
  readIntervalMs: string;
}

/** Adds `demo` to `program`. */
export function addDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('run the gateway with simulated modems, SMS network, devices and a lab core (no hardware)')
    .option('--duration <s>', 'stop after this many seconds and print a summary (0: until Ctrl-C)', '0')
    .option('--redis <url>', 'use this Redis instead of starting a private one')
    .option('--read-interval-ms <ms>', 'how often the lab core reads /3/0 from a device', '4000')
    .action(async (options: DemoOptions) => {
      const durationSec = parseDecimalOption(options.duration, '--duration', { min: 0, max: 31_536_000 });
      const readIntervalMs = parseIntegerOption(options.readIntervalMs, '--read-interval-ms', { min: 200, max: 86_400_000 });
      const { runDemo } = await import('./demo-run.ts'); // the lab loads only for the demo
      await runDemo({ redisUrl: options.redis ?? null, durationSec, readIntervalMs }, io);
    });
}
