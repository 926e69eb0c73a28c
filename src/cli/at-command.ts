/**
 * `smsbridge at <device> [command ...]`: a raw AT console for field debugging. With commands,
 * each is run in turn and its response printed (exit 1 on the first error; `AT+CMGS=<n>` takes
 * the PDU as the next argument and writes it at the prompt); without, an
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
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i] ?? '';
      io.out(`> ${command}`);
      try {
        // `AT+CMGS=<n> <pdu>`: the PDU is the next argument, written at the `> ` prompt.
        const cmgs = /^AT\+CMGS=(\d+)$/i.exec(command);
        const pdu = commands[i + 1];
        if (cmgs && pdu !== undefined && /^[0-9A-Fa-f]+$/.test(pdu)) {
          i += 1;
          io.out(`+CMGS: ${await channel.sendPdu(Number(cmgs[1]), pdu)}`);
          io.out('OK');
          continue;
        }
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
  // Whole lines only (a modem's echo may arrive a byte at a time); the `> ` prompt has no line end.
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1').replace(/\r/g, '');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.length > 0) io.out(line);
    if (pending === '> ') {
      io.out(pending);
      pending = '';
    }
  });
  const lines = createInterface({ input: io.input, terminal: false });
  for await (const line of lines) {
    stream.write(line.endsWith('^Z') ? `${line.slice(0, -2)}\x1a` : `${line}\r`, 'latin1');
  }
}
