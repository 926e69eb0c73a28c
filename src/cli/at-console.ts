/**
 * What `smsbridge at <device> [command ...]` runs (loaded by its action, src/cli/at-command.ts):
 * a raw AT console for field debugging. With commands,
 * each is run in turn and its response printed (exit 1 on the first error; `AT+CMGS=<n>` takes
 * the PDU as the next argument and writes it at the prompt); without, an
 * interactive console passes lines through (type `^Z` at the end of a line for Ctrl-Z, to end a
 * PDU after the `> ` prompt) and prints everything the modem sends, URCs included.
 */
import { createInterface } from 'node:readline';
import { AtChannel } from '../modem/at-channel.ts';
import { AtCommandError } from '../modem/at-errors.ts';
import { openSerialLink } from '../modem/serial-link.ts';
import { GatewayError } from '../shared/errors.ts';
import type { CliIo } from './io.ts';

/**
 * Opens `device` and runs `commands` in turn (rejecting on the first error), or without commands
 * passes lines between `io.input` and the modem until the input ends (resolves) or the port
 * closes or fails (unplugged, hung up: rejects with GW_ERR_AT_CLOSED, "the modem's port closed:
 * <device>", and stops reading `io.input`). Closes the port either way.
 */
export async function runAtConsole(device: string, commands: readonly string[], settings: { baudRate: number; timeoutMs: number }, io: CliIo): Promise<void> {
  const link = await openSerialLink(device, { baudRate: settings.baudRate }).catch((error: unknown) => {
    throw error instanceof GatewayError && error.code === 'GW_ERR_MODEM_OPEN' && !device.startsWith('tcp://') ? openError(device, error) : error;
  });
  try {
    if (commands.length > 0) await runCommands(link.stream, commands, settings.timeoutMs, io);
    else await interactive(link.stream, device, io);
  } finally {
    await link.close();
  }
}

/**
 * GW_ERR_MODEM_OPEN of a serial device as one sentence with a hint: serialport's message
 * (`Error: No such file or directory, cannot open /dev/x`) without its repetitions.
 */
function openError(device: string, error: GatewayError): GatewayError {
  const prefix = `cannot open ${device}: `;
  const cause = (error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message)
    .replace(/^Error: /, '').replace(`, cannot open ${device}`, '');
  const hint = /no such file/i.test(cause) ? 'no such device (ls /dev/serial/by-id/ lists the serial ports)'
    : /permission denied/i.test(cause) ? 'permission denied (the user needs the port\'s group, often dialout: ls -l the device)'
      : `${cause.charAt(0).toLowerCase()}${cause.slice(1)} (is it a serial port? ls /dev/serial/by-id/ lists them)`;
  return new GatewayError('GW_ERR_MODEM_OPEN', `${prefix}${hint}`, error.details);
}

async function runCommands(stream: import('node:stream').Duplex, commands: readonly string[], timeoutMs: number, io: CliIo): Promise<void> {
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

async function interactive(stream: import('node:stream').Duplex, device: string, io: CliIo): Promise<void> {
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
  // The port gone (unplugged, hung up, the TCP server closed): nothing more can be said to the
  // modem, so the session ends with one sentence instead of waiting for input that goes nowhere.
  let closed: GatewayError | null = null;
  const portClosed = (error?: Error): void => {
    closed ??= new GatewayError('GW_ERR_AT_CLOSED', `the modem's port closed: ${device}${error === undefined ? '' : ` (${error.message})`}`, { path: device });
    lines.close();
  };
  stream.once('close', () => portClosed());
  stream.on('error', (error: Error) => portClosed(error));
  for await (const line of lines) {
    stream.write(line.endsWith('^Z') ? `${line.slice(0, -2)}\x1a` : `${line}\r`, 'latin1');
  }
  if (closed !== null) throw closed;
}
