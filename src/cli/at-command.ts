/**
 * `smsbridge at <device> [command ...]`: a raw AT console for field debugging. With commands,
 * each is run in turn and its response printed (exit 1 on the first error); without, an
 * interactive console passes lines through (type `^Z` at the end of a line for Ctrl-Z, to end a
 * PDU after the `> ` prompt) and prints everything the modem sends, URCs included.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { AtChannel } from '../modem/at-channel.ts';
import { AtCommandError } from '../modem/at-errors.ts';
import { openSerialLink } from '../modem/serial-link.ts';
import type { CliIo } from './io.ts';

/** Adds the `at` command to `program`. */
export function addAtCommand(program: Command, io: CliIo): void {
  program
    .command('at')
    .description('raw AT console on a modem port (interactive when no command is given)')
    .argument('<device>', 'serial device (/dev/serial/by-id/…, /dev/ttyUSB2) or tcp://host:port')
    .argument('[commands...]', 'commands to run, e.g. ATI AT+CSQ "AT+CPMS?"')
    .option('--baud <rate>', 'baud rate', '115200')
    .option('--timeout-ms <ms>', 'time for each command\'s final result', '10000')
    .action(async (device: string, commands: string[], options: { baud: string; timeoutMs: string }) => {
      const link = await openSerialLink(device, { baudRate: Number(options.baud) });
      try {
        if (commands.length > 0) await runCommands(link.stream, commands, Number(options.timeoutMs), io);
        else await interactive(link.stream, io);
      } finally {
        await link.close();
      }
    });
}

async function runCommands(stream: import('node:stream').Duplex, commands: string[], timeoutMs: number, io: CliIo): Promise<void> {
  const channel = new AtChannel(stream, { commandTimeoutMs: timeoutMs });
  channel.on('urc', (urc) => io.out(`${urc.line}${urc.pdu ? `\n${urc.pdu}` : ''}`));
  try {
    for (const command of commands) {
      io.out(`> ${command}`);
      try {
        const response = await channel.command(command);
        for (const line of response.lines) io.out(line);
        io.out('OK');
      } catch (error) {
        if (error instanceof AtCommandError) io.out(error.message);
        throw error;
      }
    }
  } finally {
    channel.close();
  }
}

async function interactive(stream: import('node:stream').Duplex, io: CliIo): Promise<void> {
  io.err('connected; type AT commands, ^Z at the end of a line sends Ctrl-Z, Ctrl-D quits');
  stream.on('data', (chunk: Buffer) => io.out(chunk.toString('latin1').replace(/\r/g, '').replace(/\n$/, '')));
  const lines = createInterface({ input: io.input, terminal: false });
  for await (const line of lines) {
    stream.write(line.endsWith('^Z') ? `${line.slice(0, -2)}\x1a` : `${line}\r`, 'latin1');
  }
}
