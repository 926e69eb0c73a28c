/**
 * The `smsbridge` command line: builds the commander program and runs it with typed errors
 * mapped to exit codes. Exit codes: 0 success (also `--help`, `--version`); 1 for anything else.
 * Every error, usage errors included, is printed as one JSON object on stderr:
 * `{"code":"GW_ERR_USAGE","message":…,"usage":…}` for a malformed command line (unknown command
 * or option, missing argument or option value), `GW_ERR_CONFIG` naming the option for a bad
 * option value, and the typed error of whatever failed otherwise. Help goes to stdout.
 *
 * Start-up cost: this module and the command definitions load only commander and small
 * helpers; each command loads what it runs (simulators, lab, gateway, serialport, ioredis) with
 * `import()` inside its action, so `smsbridge pdu decode` loads none of them.
 */
import { Command, CommanderError } from 'commander';
import { GatewayError } from '../shared/errors.ts';
import type { CliIo } from './io.ts';
import { addApiCommands } from './api-commands.ts';
import { addAtCommand } from './at-command.ts';
import { addConfigCommand } from './config-command.ts';
import { addCoreCommand } from './core-command.ts';
import { addDemoCommand } from './demo-command.ts';
import { addPduCommands } from './pdu-command.ts';
import { addRunCommand } from './run-command.ts';
import { addSimCommands } from './sim-command.ts';
import { addWakeupCommand } from './wakeup-command.ts';
import { ReportedFailure } from './exit-status.ts';
import { packageVersion } from './version.ts';

/** Exit codes of `smsbridge`. */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;

/** Builds the `smsbridge` program writing through `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('smsbridge')
    .description('lwm2m-sms-bridge: LwM2M over SMS gateway for unmodified UDP LwM2M servers')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    // Help on stdout; commander's own error text is dropped: runCli prints the error as JSON.
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: () => undefined, outputError: () => undefined });
  addRunCommand(program, io);
  addConfigCommand(program, io);
  addApiCommands(program, io);
  addPduCommands(program, io);
  addAtCommand(program, io);
  addSimCommands(program, io);
  addCoreCommand(program, io);
  addDemoCommand(program, io);
  addWakeupCommand(program, io);
  const finish = (command: Command): void => {
    command.exitOverride();
    // Defaults shown one way in every help text, `(default: 0)`, as the hand-written ones are (commander quotes strings: `(default: "0")`).
    for (const option of command.options) {
      if (typeof option.defaultValue === 'string' && option.defaultValueDescription === undefined) option.defaultValueDescription = option.defaultValue;
    }
    command.commands.forEach(finish);
  };
  finish(program);
  return program;
}

/**
 * The deepest command that `args` (after node and the script) name, for the usage line, and the
 * first word after it that names no command (`help` aside), if any.
 */
function commandNamedBy(program: Command, args: readonly string[]): { command: Command; unknown: string | null } {
  let command = program;
  for (const arg of args) {
    if (arg.startsWith('-') || arg === 'help') continue;
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub === undefined) return { command, unknown: arg };
    command = sub;
  }
  return { command, unknown: null };
}

/** The full name of `command`, e.g. `smsbridge sim modem`. */
function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** GW_ERR_USAGE for a commander error (exit code ≠ 0). */
function usageError(error: CommanderError, program: Command, args: readonly string[]): GatewayError {
  const { command, unknown } = commandNamedBy(program, args);
  const name = fullName(command);
  // commander.help with exit code 1: help was shown instead of an error (no command, `help <unknown>`).
  const helpInstead = unknown === null ? `a command is required: ${command.commands.map((c) => c.name()).join(', ')}` : `unknown command '${unknown}'`;
  let message = error.code === 'commander.help' ? helpInstead : error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  // commander checks required options before unknown ones; a mistyped option (`run --conifg x`) is the real mistake.
  if (error.code === 'commander.missingMandatoryOptionValue') {
    const mistyped = command.parseOptions(args.slice(args.indexOf(command.name()) + 1)).unknown.find((arg) => arg.startsWith('-'));
    if (mistyped !== undefined) message = `unknown option '${mistyped.split('=')[0]}'`;
  }
  return new GatewayError('GW_ERR_USAGE', message, { usage: `${name} ${command.usage()}`, help: `${name} --help` });
}

/**
 * Runs `argv` (as in `process.argv`, node and script first) and resolves to the exit code.
 * Errors are printed as one JSON object on stderr; nothing is thrown.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT_OK; // --help, --version
      io.err(JSON.stringify(usageError(error, program, argv.slice(2)).toJSON()));
      return EXIT_ERROR;
    }
    if (error instanceof ReportedFailure) return EXIT_ERROR; // the command printed its errors
    const typed = error instanceof GatewayError ? error : new GatewayError('GW_ERR_INTERNAL', String(error));
    io.err(JSON.stringify(typed.toJSON()));
    return EXIT_ERROR;
  }
}
