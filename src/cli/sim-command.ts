/**
 * `smsbridge sim …`: the simulators that tests, benchmarks and the demo use instead of hardware.
 */
import type { Command } from 'commander';
import type { CliIo } from './io.ts';
import { parseHostPortOption, parseIntegerOption, parsePhoneNumberOption } from './options.ts';
import { addSimDeviceCommand } from './sim-device-command.ts';
import { addSimModemCommand } from './sim-modem-command.ts';

/** Adds the `sim` command group to `program`. */
export function addSimCommands(program: Command, io: CliIo): Command {
  const sim = program.command('sim').description('simulated SMS network, modems and devices (no hardware needed)');
  sim
    .command('network')
    .description('run a simulated SMS network (an SMSC) that routes SMS between simulated modems (sim modem --network) and devices')
    .requiredOption('--listen <host:port>', 'address to listen on, e.g. 127.0.0.1:7890 (port 0 picks one)')
    .option('--smsc <number>', 'the SMSC\'s own number', '+491720000000')
    .option('--delivery-delay-ms <ms>', 'delay between submission and delivery', '20')
    .option('--retry-interval-ms <ms>', 'wait before retrying a refused delivery', '5000')
    .action(async (options: { listen: string; smsc: string; deliveryDelayMs: string; retryIntervalMs: string }) => {
      const { host, port } = parseHostPortOption(options.listen, '--listen');
      const settings = {
        host, port,
        smscMsisdn: parsePhoneNumberOption(options.smsc, '--smsc', 15).digits,
        deliveryDelayMs: parseIntegerOption(options.deliveryDelayMs, '--delivery-delay-ms', { min: 0, max: 3_600_000 }),
        retryIntervalMs: parseIntegerOption(options.retryIntervalMs, '--retry-interval-ms', { min: 1, max: 86_400_000 }),
      };
      const { SimNetwork } = await import('../sim/network/sim-network.ts');
      const network = await SimNetwork.start(settings);
      network.on('submitted', (from, to) => io.err(`submitted ${from} -> ${to}`));
      io.json({ listening: `${network.address.host}:${network.address.port}` });
      await io.untilStopped();
      await network.stop();
    });
  addSimModemCommand(sim, io);
  addSimDeviceCommand(sim, io);
  return sim;
}
