/**
 * ITU-T V.250 basic commands and S-registers, identification (TS 27.007 §5.1–§5.4, V.250
 * §6.1.3–§6.1.6), `+CMEE` (TS 27.007 §9.1), `+CSCS` (§5.5), `+CCLK` (§8.15) and the serial
 * port settings that drivers send and the simulator merely accepts.
 */
import { intArg, stringArg, type AtCommand } from './command-line.ts';
import type { CommandHandler, EngineContext } from './engine-context.ts';
import { defaultV250 } from './modem-state.ts';
import { ERROR, OK, cme, ok, type Reply } from './responses.ts';

const CME_BAD_PARAMETERS = 50;

/** Executes a basic command (`E0`, `V1`, `Z`, `&F`, `I`, …) or an S-register access. */
export function handleBasic(command: Exclude<AtCommand, { kind: 'extended' }>, ctx: EngineContext): Reply {
  const v = ctx.state.v250;
  if (command.kind === 'dial') return ERROR; // no voice or data calls
  if (command.kind === 'sreg') {
    if (command.register >= v.sRegisters.length) return ERROR;
    if (command.value === null) return ok(String(v.sRegisters[command.register] ?? 0).padStart(3, '0'));
    if (command.value > 255) return ERROR;
    v.sRegisters[command.register] = command.value;
    return OK;
  }
  const value = command.value ?? 0;
  const flag = (): boolean | null => (value === 0 ? false : value === 1 ? true : null);
  switch (command.name) {
    case 'E': {
      const on = flag();
      if (on === null) return ERROR;
      v.echo = on;
      return OK;
    }
    case 'V': {
      const on = flag();
      if (on === null) return ERROR;
      v.verbose = on;
      return OK;
    }
    case 'Q': {
      const on = flag();
      if (on === null) return ERROR;
      v.quiet = on;
      return OK;
    }
    case 'X':
      if (value > 4) return ERROR;
      v.x = value;
      return OK;
    case '&C':
      if (value > 1) return ERROR;
      v.ampC = value;
      return OK;
    case '&D':
      if (value > 2) return ERROR;
      v.ampD = value;
      return OK;
    case 'Z':
    case '&F':
      // V.250 §6.1.1/§6.1.2: back to the (factory) profile; the result code uses the new settings.
      ctx.state.v250 = defaultV250();
      return OK;
    case '&W':
    case 'L':
    case 'M':
    case 'H':
      return OK;
    case 'I':
      return value === 0 ? ok(...ctx.profile.identification.map((line) => line.replace('{imei}', ctx.options.imei))) : OK;
    default:
      return ERROR;
  }
}

function textHandler(text: (ctx: EngineContext) => string): CommandHandler {
  return (command, ctx) => (command.op === 'test' ? OK : command.op === 'exec' ? ok(text(ctx)) : ERROR);
}

/** `AT+CMEE?` / `=?` / `=<n>` (TS 27.007 §9.1). */
const cmee: CommandHandler = (command, ctx) => {
  if (command.op === 'test') return ok('+CMEE: (0-2)');
  if (command.op === 'read') return ok(`+CMEE: ${ctx.state.v250.cmee}`);
  const n = intArg(command.args[0], 0, 2, 0);
  if (command.op !== 'set' || n === null) return cme(CME_BAD_PARAMETERS);
  ctx.state.v250.cmee = n;
  return OK;
};

const CHARACTER_SETS = ['GSM', 'IRA', 'UCS2'];

/** `AT+CSCS` (TS 27.007 §5.5): the TE character set of text-mode strings. */
const cscs: CommandHandler = (command, ctx) => {
  if (command.op === 'test') return ok(`+CSCS: (${CHARACTER_SETS.map((c) => `"${c}"`).join(',')})`);
  if (command.op === 'read') return ok(`+CSCS: "${ctx.state.v250.cscs}"`);
  const set = stringArg(command.args[0])?.toUpperCase() ?? null;
  if (command.op !== 'set' || set === null || !CHARACTER_SETS.includes(set)) return cme(CME_BAD_PARAMETERS);
  ctx.state.v250.cscs = set;
  return OK;
};

/** `AT+CCLK?`: the simulator's clock in UTC, `"yy/MM/dd,hh:mm:ss+00"`. */
const cclk: CommandHandler = (command, ctx) => {
  if (command.op === 'test' || command.op === 'set') return OK;
  const d = new Date(ctx.nowMs());
  const two = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${two(d.getUTCFullYear() % 100)}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())},${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}+00`;
  return ok(`+CCLK: "${stamp}"`);
};

/** Port settings (`+IFC`, `+IPR`, `+ICF`): accepted, reported, never applied (a pty has no baud rate). */
function portSetting(name: string, value: string, ranges: string): CommandHandler {
  return (command) => {
    if (command.op === 'test') return ok(`${name}: ${ranges}`);
    if (command.op === 'read') return ok(`${name}: ${value}`);
    return OK;
  };
}

/** Handlers of this module by command name. */
export const GENERAL_COMMANDS: Readonly<Record<string, CommandHandler>> = {
  '+CGMI': textHandler((ctx) => ctx.profile.manufacturer),
  '+GMI': textHandler((ctx) => ctx.profile.manufacturer),
  '+CGMM': textHandler((ctx) => ctx.profile.model),
  '+GMM': textHandler((ctx) => ctx.profile.model),
  '+CGMR': textHandler((ctx) => ctx.profile.revision),
  '+GMR': textHandler((ctx) => ctx.profile.revision),
  '+CGSN': textHandler((ctx) => ctx.options.imei),
  '+GSN': textHandler((ctx) => ctx.options.imei),
  '+GCAP': textHandler(() => '+GCAP: +CGSM'),
  '+CMEE': cmee,
  '+CSCS': cscs,
  '+CCLK': cclk,
  '+IFC': portSetting('+IFC', '0,0', '(0-3),(0-2)'),
  '+IPR': portSetting('+IPR', '115200', '(),(9600,19200,38400,57600,115200)'),
  '+ICF': portSetting('+ICF', '3,3', '(1-6),(0-3)'),
};
