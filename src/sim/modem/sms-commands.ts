/**
 * SMS settings and storage commands of TS 27.005: `+CSMS` (§3.2.1), `+CPMS` (§3.2.2), `+CMGF`
 * (§3.2.3), `+CSCA` (§3.3.1), `+CSMP` (§3.3.2), `+CSDH` (§3.3.3), `+CNMI` (§3.4.1), `+CMGL`
 * (§3.4.2, §4.1), `+CMGR` (§3.4.3, §4.2), `+CNMA` (§3.4.4), `+CMGD` (§3.5.4), `+CMMS` (§3.5.6).
 */
import { intArg, stringArg } from './command-line.ts';
import type { CommandHandler, EngineContext } from './engine-context.ts';
import { parseParameterRanges, type SmsMemory } from './profiles.ts';
import { OK, cms, ok, type Reply } from './responses.ts';
import { simError } from './sim-commands.ts';
import { formatPduMessage, formatTextMessage, type TextContext } from './sms-format.ts';
import { handleCnma } from './sms-incoming.ts';
import { SMS_STAT, TEXT_STAT, parseMemory, type StoredSms } from './sms-storage.ts';
import { SEND_COMMANDS, expireRelayLink } from './sms-send.ts';

const CMS_NOT_ALLOWED = 302;
const CMS_NOT_SUPPORTED = 303;
const CMS_INVALID_INDEX = 321;

/** `+CMS ERROR` for a bad parameter in the current mode (304 PDU, 305 text). */
function badParameter(ctx: EngineContext): Reply {
  return cms(ctx.state.v250.cmgf === 1 ? 305 : 304);
}

/** A setting command: `=?` → `test`, `?` → `read`, `=<n>` within `[min,max]` → `apply`. */
function numericSetting(name: string, range: string, min: number, max: number, get: (ctx: EngineContext) => number, apply: (ctx: EngineContext, n: number) => Reply): CommandHandler {
  return (command, ctx) => {
    if (command.op === 'test') return ok(`${name}: ${range}`);
    if (command.op === 'read') return ok(`${name}: ${get(ctx)}`);
    const n = intArg(command.args[0], min, max, min);
    if (command.op !== 'set' || n === null) return badParameter(ctx);
    return apply(ctx, n);
  };
}

const cmgf = numericSetting('+CMGF', '(0,1)', 0, 1, (ctx) => ctx.state.v250.cmgf, (ctx, n) => {
  ctx.state.v250.cmgf = n;
  return OK;
});

const csdh = numericSetting('+CSDH', '(0,1)', 0, 1, (ctx) => ctx.state.v250.csdh, (ctx, n) => {
  ctx.state.v250.csdh = n;
  return OK;
});

const cmmsSetting = numericSetting('+CMMS', '(0-2)', 0, 2, (ctx) => {
  expireRelayLink(ctx);
  return ctx.state.cmms;
}, (ctx, n) => {
  ctx.state.cmms = n;
  if (n === 0) ctx.state.relayLinkUntilMs = 0;
  return OK;
});

/** `AT+CMMS`; `+CMS ERROR: 500` on a profile without it. */
const cmms: CommandHandler = (command, ctx) => (ctx.profile.moreMessagesToSend ? cmmsSetting(command, ctx) : cms(500));

/** `AT+CSMS`: `<service>` 0 (phase 2) or 1 (phase 2+, `AT+CNMA` required). */
const csms: CommandHandler = (command, ctx) => {
  if (command.op === 'test') return ok(ctx.profile.phase2Plus ? '+CSMS: (0,1)' : '+CSMS: (0)');
  if (command.op === 'read') return ok(`+CSMS: ${ctx.state.csms},1,1,1`);
  const service = intArg(command.args[0], 0, ctx.profile.phase2Plus ? 1 : 0);
  if (command.op !== 'set' || service === null) return cms(CMS_NOT_SUPPORTED);
  ctx.state.csms = service;
  return ok('+CSMS: 1,1,1');
};

/** `AT+CSCA`: the SMSC address (on the SIM). */
const csca: CommandHandler = (command, ctx) => {
  const error = simError(ctx, 'cms');
  if (command.op === 'test') return OK;
  if (error !== null) return error;
  const smsc = ctx.state.card.smsc;
  if (command.op === 'read') return ok(`+CSCA: "${smsc.address}",${smsc.type}`);
  const address = stringArg(command.args[0]);
  if (command.op !== 'set' || address === null || !/^\+?[0-9]{0,20}$/.test(address)) return badParameter(ctx);
  const type = intArg(command.args[1], 128, 255, address.startsWith('+') ? 145 : 129);
  if (type === null) return badParameter(ctx);
  ctx.state.card.smsc = { address, type };
  return OK;
};

/** `AT+CSMP=<fo>,<vp>,<pid>,<dcs>`: text-mode SMS-SUBMIT parameters. */
const csmp: CommandHandler = (command, ctx) => {
  if (command.op === 'test') return OK;
  if (command.op === 'read') return ok(`+CSMP: ${ctx.state.csmp.join(',')}`);
  const values = ctx.state.csmp.map((current, i) => intArg(command.args[i], 0, 255, current));
  if (command.op !== 'set' || values.some((v) => v === null)) return cms(305);
  ctx.state.csmp = values as [number, number, number, number];
  return OK;
};

/** `AT+CPMS`: storages for reading/deleting, writing/sending, and receiving. */
const cpms: CommandHandler = (command, ctx) => {
  const allowed = ctx.profile.cpmsAllowed;
  if (command.op === 'test') return ok(`+CPMS: ${allowed.map((list) => `(${list.map((m) => `"${m}"`).join(',')})`).join(',')}`);
  const error = simError(ctx, 'cms');
  if (error !== null) return error;
  const usage = (memory: SmsMemory): string => `${ctx.storages[memory].used},${ctx.storages[memory].capacity}`;
  if (command.op === 'read') return ok(`+CPMS: ${ctx.state.cpms.map((m) => `"${m}",${usage(m)}`).join(',')}`);
  if (command.op !== 'set' || command.args.length === 0 || command.args.length > 3) return cms(CMS_NOT_ALLOWED);
  const chosen = [...ctx.state.cpms] as [SmsMemory, SmsMemory, SmsMemory];
  for (let i = 0; i < command.args.length; i++) {
    const arg = command.args[i];
    if (arg == null) continue;
    const memory = parseMemory(stringArg(arg)?.toUpperCase() ?? null);
    if (memory === null || !(allowed[i] ?? []).includes(memory)) return cms(CMS_NOT_ALLOWED);
    chosen[i] = memory;
  }
  ctx.state.cpms = chosen;
  return ok(`+CPMS: ${chosen.map(usage).join(',')}`);
};

/** `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>`, validated against the profile's `=?` ranges. */
const cnmi: CommandHandler = (command, ctx) => {
  if (command.op === 'test') return ok(`+CNMI: ${ctx.profile.cnmiRanges}`);
  const current = ctx.state.cnmi;
  if (command.op === 'read') return ok(`+CNMI: ${current.mode},${current.mt},${current.bm},${current.ds},${current.bfr}`);
  if (command.op !== 'set' || command.args.length > 5) return cms(CMS_NOT_SUPPORTED);
  const ranges = parseParameterRanges(ctx.profile.cnmiRanges);
  const values: number[] = [];
  for (let i = 0; i < 5; i++) {
    const value = intArg(command.args[i], 0, 9, 0);
    if (value === null || !(ranges[i]?.has(value) ?? false)) return cms(CMS_NOT_SUPPORTED);
    values.push(value);
  }
  const [mode = 0, mt = 0, bm = 0, ds = 0, bfr = 0] = values;
  ctx.state.cnmi = { mode, mt, bm, ds, bfr };
  // TS 27.005 §3.4.1: the buffer is flushed after the OK.
  return { type: 'ok', then: () => ctx.incoming.cnmiChanged() };
};

/** The `<stat>` filter of `AT+CMGL`, or null when invalid. 4 = all. */
function listFilter(ctx: EngineContext, command: Parameters<CommandHandler>[0]): number | null {
  const arg = command.op === 'set' ? command.args[0] : null;
  if (ctx.state.v250.cmgf === 0) return intArg(arg, 0, 4, SMS_STAT.RECEIVED_UNREAD);
  if (arg == null) return SMS_STAT.RECEIVED_UNREAD;
  const index = TEXT_STAT.indexOf(arg.text.toUpperCase());
  return arg.quoted && index >= 0 ? index : null;
}

function formatMessage(ctx: EngineContext, message: StoredSms, where: TextContext): string[] {
  const v = ctx.state.v250;
  return v.cmgf === 1 ? formatTextMessage(message, where, v.csdh, v.cscs) : formatPduMessage(message, where);
}

/** `AT+CMGL[=<stat>]`: lists `<mem1>`; received-unread messages listed become read. */
const cmgl: CommandHandler = (command, ctx) => {
  const textMode = ctx.state.v250.cmgf === 1;
  if (command.op === 'test') return ok(textMode ? `+CMGL: (${TEXT_STAT.map((s) => `"${s}"`).join(',')})` : '+CMGL: (0-4)');
  const error = simError(ctx, 'cms');
  if (error !== null) return error;
  const filter = listFilter(ctx, command);
  if (filter === null || command.op === 'read') return badParameter(ctx);
  const lines: string[] = [];
  for (const [index, message] of ctx.storages[ctx.state.cpms[0]].entries()) {
    if (filter !== 4 && message.stat !== filter) continue;
    lines.push(...formatMessage(ctx, message, { kind: 'cmgl', index, stat: message.stat }));
    if (message.stat === SMS_STAT.RECEIVED_UNREAD) message.stat = SMS_STAT.RECEIVED_READ;
  }
  return ok(...lines);
};

/** `AT+CMGR=<index>`: an empty slot gives just `OK` (as real modems do), an index out of range 321. */
const cmgr: CommandHandler = (command, ctx) => {
  if (command.op === 'test') return OK;
  const error = simError(ctx, 'cms');
  if (error !== null) return error;
  const storage = ctx.storages[ctx.state.cpms[0]];
  const index = intArg(command.args[0], 0, 65535);
  if (command.op !== 'set' || index === null) return badParameter(ctx);
  if (!storage.inRange(index)) return cms(CMS_INVALID_INDEX);
  const message = storage.get(index);
  if (message === undefined) return OK;
  const lines = formatMessage(ctx, message, { kind: 'cmgr', stat: message.stat });
  if (message.stat === SMS_STAT.RECEIVED_UNREAD) message.stat = SMS_STAT.RECEIVED_READ;
  return ok(...lines);
};

/** Which `<stat>` values each `<delflag>` of `AT+CMGD` deletes (TS 27.005 §3.5.4). */
const DELFLAG_STATS: Readonly<Record<number, readonly number[]>> = {
  1: [SMS_STAT.RECEIVED_READ],
  2: [SMS_STAT.RECEIVED_READ, SMS_STAT.STORED_SENT],
  3: [SMS_STAT.RECEIVED_READ, SMS_STAT.STORED_SENT, SMS_STAT.STORED_UNSENT],
  4: [SMS_STAT.RECEIVED_READ, SMS_STAT.STORED_SENT, SMS_STAT.STORED_UNSENT, SMS_STAT.RECEIVED_UNREAD],
};

/**
 * `AT+CMGD=<index>[,<delflag>]` and `AT+CMGD=?` (`+CMGD: (<used indexes>),(0-4)`; without the
 * second list on a profile without `deleteFlags`, which also refuses a `<delflag>`).
 */
const cmgd: CommandHandler = (command, ctx) => {
  const error = simError(ctx, 'cms');
  if (error !== null) return error;
  const storage = ctx.storages[ctx.state.cpms[0]];
  const indexes = `(${storage.entries().map(([i]) => i).join(',')})`;
  if (command.op === 'test') return ok(ctx.profile.deleteFlags ? `+CMGD: ${indexes},(0-4)` : `+CMGD: ${indexes}`);
  const index = intArg(command.args[0], 0, 65535, 0);
  const delflag = intArg(command.args[1], 0, ctx.profile.deleteFlags ? 4 : 0, 0);
  if (command.op !== 'set' || index === null || delflag === null) return badParameter(ctx);
  if (delflag === 0) {
    if (!storage.inRange(index)) return cms(CMS_INVALID_INDEX);
    storage.delete(index);
    return OK;
  }
  const stats = DELFLAG_STATS[delflag] ?? [];
  for (const [i, message] of storage.entries()) if (stats.includes(message.stat)) storage.delete(i);
  return OK;
};

/** Handlers of this module (and of sending) by command name. */
export const SMS_COMMANDS: Readonly<Record<string, CommandHandler>> = {
  ...SEND_COMMANDS,
  '+CMGF': cmgf,
  '+CSDH': csdh,
  '+CMMS': cmms,
  '+CSMS': csms,
  '+CSCA': csca,
  '+CSMP': csmp,
  '+CPMS': cpms,
  '+CNMI': cnmi,
  '+CMGL': cmgl,
  '+CMGR': cmgr,
  '+CMGD': cmgd,
  '+CNMA': handleCnma,
};
