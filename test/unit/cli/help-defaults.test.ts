/**
 * Every help text of `smsbridge` shows defaults one way, `(default: 60)`: commander's own
 * (`(default: "0")` for a string default) and the hand-written ones (`(default 60)`) agreed in
 * none of the forms before.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/io.ts';
import { buildProgram } from '../../../src/cli/program.ts';

/** Help text is never written by this test: a CliIo whose every call fails loudly. */
const io = new Proxy({}, { get: (_, name) => () => { throw new Error(`io.${String(name)} called`); } }) as unknown as CliIo;

function everyCommand(command: Command): Command[] {
  return [command, ...command.commands.flatMap(everyCommand)];
}

describe('help texts', () => {
  it('show every default as (default: value), never quoted, never without the colon', () => {
    const commands = everyCommand(buildProgram(io));
    expect(commands.length).toBeGreaterThan(10);
    let defaults = 0;
    for (const command of commands) {
      const help = command.helpInformation().replace(/\s+/g, ' ');
      const shown = help.match(/\(default[^)]*\)/g) ?? [];
      defaults += shown.length;
      for (const text of shown) expect(text, `${command.name()} --help`).toMatch(/^\(default: [^"]/);
    }
    expect(defaults).toBeGreaterThan(10);
  });
});
