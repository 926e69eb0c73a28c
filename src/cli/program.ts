/**
 * The `smsbridge` command line: builds the commander program and runs it with typed errors
 * mapped to exit codes. Exit codes: 0 success; 1 for anything else: a typed error (printed as
 * one JSON object on stderr) or a usage error (commander's message on stderr).
 */
import { Command, CommanderError } from 'commander';
import { GatewayError } from '../shared/errors.ts';
import type { CliIo } from './io.ts';
import { addAtCommand } from './at-command.ts';
import { addConfigCommand } from './config-command.ts';
import { addCoreCommand } from './core-command.ts';
import { addDemoCommand } from './demo-command.ts';
import { addPduCommands } from './pdu-command.ts';
import { addSimCommands } from './sim-command.ts';

/** Exit codes of `smsbridge`. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;

/** Builds the `smsbridge` program writing through `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('smsbridge')
    .description('lwm2m-sms-bridge: LwM2M over SMS gateway for unmodified UDP LwM2M servers')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  addPduCommands(program, io);
  addAtCommand(program, io);
  addSimCommands(program, io);
  addCoreCommand(program, io);
  addDemoCommand(program, io);
  addConfigCommand(program, io);
  const exitOverride = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/**
 * Runs `argv` (as in `process.argv`, node and script first) and resolves to the exit code.
 * Typed errors are printed as one JSON object on stderr; nothing is thrown.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof GatewayError) {
      io.err(JSON.stringify(error.toJSON()));
      return EXIT_ERROR;
    }
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT_OK; // --help, --version
      return EXIT_ERROR;
    }
    io.err(JSON.stringify({ code: 'GW_ERR_INTERNAL', message: String(error) }));
    return EXIT_ERROR;
  }
}
