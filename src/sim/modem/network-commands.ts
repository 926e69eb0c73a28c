/**
 * Network commands: `+CREG`/`+CGREG`/`+CEREG` (TS 27.007 §7.2, §10.1.20, §10.1.22), `+COPS`
 * (§7.3), `+CSQ` (§8.5), `+CFUN` (§8.2), `+CGATT` (§10.1.9), `+CUSD` (§7.15), `+CHUP` (§6.5),
 * Huawei `^CURC` and `^PORTSEL`, and the registration state machine.
 */
import { intArg, stringArg } from './command-line.ts';
import type { CommandHandler, EngineContext, RegistrationControl } from './engine-context.ts';
import { REG_STAT } from './modem-state.ts';
import { ERROR, OK, cme, ok, type Reply } from './responses.ts';

const CME_NOT_SUPPORTED = 4;
const CME_BAD_PARAMETERS = 50;
const CME_NETWORK_NOT_ALLOWED = 32;
const CME_NO_NETWORK_SERVICE = 30;

type RegName = '+CREG' | '+CGREG' | '+CEREG';

function isRegistered(stat: number): boolean {
  return stat === REG_STAT.HOME || stat === REG_STAT.ROAMING;
}

/** `<stat>[,"<lac>","<ci>"[,<AcT>]]`: location only with `<n>`=2 while registered. */
function registrationFields(ctx: EngineContext, n: number): string {
  const stat = ctx.state.regStat;
  if (n < 2 || !isRegistered(stat)) return String(stat);
  const act = ctx.profile.accessTechnology;
  // GSM-only firmware prints a 16-bit cell id and no AcT.
  const ci = act === null ? ctx.options.cellId.slice(-4) : ctx.options.cellId;
  return `${stat},"${ctx.options.lac}","${ci}"${act === null ? '' : `,${act}`}`;
}

function modeOf(ctx: EngineContext, name: RegName): number {
  const v = ctx.state.v250;
  return name === '+CREG' ? v.cregMode : name === '+CGREG' ? v.cgregMode : v.ceregMode;
}

/** The registration state machine; one per engine. */
export class NetworkRegistration implements RegistrationControl {
  readonly #ctx: EngineContext;
  #cancelSearch: (() => void) | null = null;

  /** @param ctx - the engine's context; state is read through it at each call. */
  constructor(ctx: EngineContext) {
    this.#ctx = ctx;
  }

  /** See {@link RegistrationControl.attach}. */
  attach(): void {
    const { state, options } = this.#ctx;
    if (state.cfun !== 1 || state.sim !== 'ready' || this.#cancelSearch !== null) return;
    if (state.regStat === state.regTarget && isRegistered(state.regStat)) return;
    this.set(REG_STAT.SEARCHING);
    this.#cancelSearch = this.#ctx.setTimer(options.registerDelayMs, () => {
      this.#cancelSearch = null;
      this.set(this.#ctx.state.regTarget);
    });
  }

  /** See {@link RegistrationControl.detach}. */
  detach(): void {
    this.#cancelSearch?.();
    this.#cancelSearch = null;
    this.set(REG_STAT.NOT_REGISTERED);
  }

  /** See {@link RegistrationControl.set}. */
  set(stat: number): void {
    const { state } = this.#ctx;
    if (state.regStat === stat) return;
    state.regStat = stat;
    for (const name of ['+CREG', '+CGREG', '+CEREG'] as const) {
      if (name === '+CEREG' && !this.#ctx.profile.supportsEps) continue;
      const n = modeOf(this.#ctx, name);
      // TS 27.007 §7.2: <n>=1 and 2 enable the unsolicited result code.
      if (n > 0) this.#ctx.emitUrc(`${name}: ${registrationFields(this.#ctx, n)}`);
    }
  }

  /** Forgets a running search without changing `<stat>` (on reboot). */
  reset(): void {
    this.#cancelSearch?.();
    this.#cancelSearch = null;
  }
}

function registrationHandler(name: RegName): CommandHandler {
  return (command, ctx) => {
    if (name === '+CEREG' && !ctx.profile.supportsEps) return ERROR;
    if (command.op === 'test') return ok(`${name}: (0-2)`);
    if (command.op === 'read') return ok(`${name}: ${modeOf(ctx, name)},${registrationFields(ctx, modeOf(ctx, name))}`);
    if (command.op !== 'set') return cme(CME_BAD_PARAMETERS);
    const n = intArg(command.args[0], 0, 2, 0);
    if (n === null) return cme(CME_BAD_PARAMETERS);
    const v = ctx.state.v250;
    if (name === '+CREG') v.cregMode = n;
    else if (name === '+CGREG') v.cgregMode = n;
    else v.ceregMode = n;
    return OK;
  };
}

/** `AT+COPS?` / `=?` / `=<mode>[,<format>[,<oper>]]`. */
const cops: CommandHandler = (command, ctx) => {
  const { state, options } = ctx;
  const act = ctx.profile.accessTechnology;
  const actSuffix = act === null ? '' : `,${act}`;
  if (command.op === 'test') {
    return ok(`+COPS: (2,"${options.operatorName}","${options.operatorName}","${options.operatorNumeric}"${actSuffix}),,(0-4),(0-2)`);
  }
  if (command.op === 'read') {
    if (!isRegistered(state.regStat)) return ok('+COPS: 0');
    const format = state.v250.copsFormat;
    const name = format === 2 ? options.operatorNumeric : options.operatorName;
    return ok(`+COPS: 0,${format},"${name}"${actSuffix}`);
  }
  if (command.op !== 'set') return cme(CME_BAD_PARAMETERS);
  const mode = intArg(command.args[0], 0, 4);
  const format = intArg(command.args[1], 0, 2, state.v250.copsFormat);
  if (mode === null || format === null) return cme(CME_BAD_PARAMETERS);
  state.v250.copsFormat = format;
  if (mode === 2) return { type: 'ok', then: () => ctx.registration.detach() };
  if (mode === 1 || mode === 4) {
    const oper = stringArg(command.args[2]);
    if (oper !== options.operatorName && oper !== options.operatorNumeric) return cme(CME_NETWORK_NOT_ALLOWED);
  }
  return mode === 3 ? OK : { type: 'ok', then: () => ctx.registration.attach() };
};

/** `AT+CSQ`: `+CSQ: <rssi>,<ber>`; 99,99 while the radio is off. */
const csq: CommandHandler = (command, ctx) => {
  if (command.op === 'test') return ok('+CSQ: (0-31,99),(0-7,99)');
  if (command.op !== 'exec') return cme(CME_NOT_SUPPORTED);
  return ok(ctx.state.cfun === 1 ? `+CSQ: ${ctx.state.rssi},99` : '+CSQ: 99,99');
};

/** `AT+CFUN?` / `=?` / `=<fun>[,<rst>]`; `<rst>`=1 reboots after the `OK`. */
const cfun: CommandHandler = (command, ctx): Reply => {
  const { state } = ctx;
  if (command.op === 'test') return ok('+CFUN: (0,1,4),(0,1)');
  if (command.op === 'read') return ok(`+CFUN: ${state.cfun}`);
  if (command.op !== 'set') return cme(CME_BAD_PARAMETERS);
  const fun = intArg(command.args[0], 0, 4);
  const rst = intArg(command.args[1], 0, 1, 0);
  if (fun === null || rst === null || fun === 2 || fun === 3) return cme(CME_BAD_PARAMETERS);
  if (rst === 1) return { type: 'ok', then: () => ctx.reboot() };
  state.cfun = fun;
  // The registration URCs follow the OK.
  return { type: 'ok', then: () => (fun === 1 ? ctx.registration.attach() : ctx.registration.detach()) };
};

/** Huawei `AT^CURC=<0|1>`: periodic URCs such as `^RSSI` off or on. */
const curc: CommandHandler = (command, ctx) => {
  if (!ctx.profile.huaweiCurc) return ERROR;
  if (command.op === 'test') return ok('^CURC: (0-1)');
  if (command.op === 'read') return ok(`^CURC: ${ctx.state.curc ? 1 : 0}`);
  const mode = intArg(command.args[0], 0, 1);
  if (command.op !== 'set' || mode === null) return cme(CME_BAD_PARAMETERS);
  ctx.state.curc = mode === 1;
  return OK;
};

/**
 * Huawei `AT^PORTSEL=<0|1>`: which of the modem's ports gets the URCs. gammu's Huawei
 * post-connect (after `AT^CURC=0` and `AT+CFUN=1`) sends `AT^PORTSEL=1` and gives up the whole
 * connection when it is answered `ERROR`; real Huawei sticks (E173, E3372 in stick mode) accept
 * it. The simulator has a single port that carries everything, so the value is only stored.
 */
const portsel: CommandHandler = (command, ctx) => {
  if (!ctx.profile.huaweiCurc) return ERROR;
  if (command.op === 'test') return ok('^PORTSEL: (0,1)');
  if (command.op === 'read') return ok(`^PORTSEL: ${ctx.state.portsel}`);
  const port = intArg(command.args[0], 0, 1);
  if (command.op !== 'set' || port === null) return cme(CME_BAD_PARAMETERS);
  ctx.state.portsel = port;
  return OK;
};

/** `AT+CBC`: battery; the simulator is always on mains. */
const cbc: CommandHandler = (command) => (command.op === 'test' ? ok('+CBC: (0-2),(0-100),(3300-4400)') : ok('+CBC: 0,100,4200'));

/**
 * `AT+CGATT` (TS 27.007 §10.1.9): packet-domain attach. Attached (`+CGATT: 1`) while registered
 * and not detached with `AT+CGATT=0`. gammu-smsd asks `AT+CGATT?` before every SMS it sends.
 */
const cgatt: CommandHandler = (command, ctx) => {
  const { state } = ctx;
  if (command.op === 'test') return ok('+CGATT: (0,1)');
  if (command.op === 'read') return ok(`+CGATT: ${state.psAttachWanted && isRegistered(state.regStat) ? 1 : 0}`);
  const wanted = intArg(command.args[0], 0, 1);
  if (command.op !== 'set' || wanted === null) return cme(CME_BAD_PARAMETERS);
  if (wanted === 1 && (state.cfun !== 1 || !isRegistered(state.regStat))) return cme(CME_NO_NETWORK_SERVICE);
  state.psAttachWanted = wanted === 1;
  return OK;
};

/**
 * `AT+CUSD=[<n>[,<str>[,<dcs>]]]` (TS 27.007 §7.15): `<n>` 0 hides and 1 presents `+CUSD`
 * result codes, 2 cancels the session. The simulated network offers no USSD service, so a
 * request string is answered `+CUSD: 4` (operation not supported) when presentation is on.
 */
const cusd: CommandHandler = (command, ctx) => {
  const { state } = ctx;
  if (command.op === 'test') return ok('+CUSD: (0-2)');
  if (command.op === 'read') return ok(`+CUSD: ${state.cusd}`);
  const n = command.op === 'exec' ? 0 : intArg(command.args[0], 0, 2, 0); // no <n>: 0 (§7.15)
  const request = command.op === 'exec' ? null : stringArg(command.args[1]);
  const dcs = command.op === 'exec' ? 15 : intArg(command.args[2], 0, 255, 15);
  if (n === null || dcs === null) return cme(CME_BAD_PARAMETERS);
  if (n !== 2) state.cusd = n;
  if (request === null || n === 2) return OK;
  return { type: 'ok', then: () => (state.cusd === 1 ? ctx.emitUrc('+CUSD: 4') : undefined) };
};

/** `AT+CHUP` (TS 27.007 §6.5): hangs up every call; with no call there is nothing to do. */
const chup: CommandHandler = (command) => (command.op === 'exec' || command.op === 'test' ? OK : cme(CME_NOT_SUPPORTED));

/** Handlers of this module by command name. */
export const NETWORK_COMMANDS: Readonly<Record<string, CommandHandler>> = {
  '+CREG': registrationHandler('+CREG'),
  '+CGREG': registrationHandler('+CGREG'),
  '+CEREG': registrationHandler('+CEREG'),
  '+COPS': cops,
  '+CSQ': csq,
  '+CFUN': cfun,
  '^CURC': curc,
  '^PORTSEL': portsel,
  '+CBC': cbc,
  '+CGATT': cgatt,
  '+CUSD': cusd,
  '+CHUP': chup,
};
