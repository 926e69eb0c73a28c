/**
 * SIM commands: `+CPIN` (TS 27.007 §8.3), `+CIMI` (§5.6), `+CNUM` (§7.1), and the SIM checks
 * that every SIM-dependent command runs first.
 */
import { stringArg } from './command-line.ts';
import type { CommandHandler, EngineContext } from './engine-context.ts';
import { cpinText } from './modem-state.ts';
import { OK, cme, cms, ok, type ErrorReply } from './responses.ts';

/** TS 27.007 §9.2.1 codes used here. */
const CME = { NOT_ALLOWED: 3, NOT_INSERTED: 10, PIN_REQUIRED: 11, PUK_REQUIRED: 12, SIM_FAILURE: 13, BUSY: 14, WRONG_PASSWORD: 16, BAD_PARAMETERS: 50 } as const;

/**
 * The error a SIM-dependent command gets while the SIM is not ready: `+CME ERROR` 10/14/11/12/13
 * or, for SMS commands, `+CMS ERROR` 310/314/311/316/313 (TS 27.005 §3.2.5). Null when ready;
 * SMS commands also get 314 (busy) during the SIM's SMS initialisation after the PIN.
 */
export function simError(ctx: EngineContext, kind: 'cme' | 'cms'): ErrorReply | null {
  const pair = ((): [number, number] | null => {
    switch (ctx.state.sim) {
      case 'absent':
        return [CME.NOT_INSERTED, 310];
      case 'busy':
        return [CME.BUSY, 314];
      case 'pin':
        return [CME.PIN_REQUIRED, 311];
      case 'puk':
        return [CME.PUK_REQUIRED, 316];
      case 'blocked':
        return [CME.SIM_FAILURE, 313];
      case 'ready':
        return null;
    }
  })();
  if (pair !== null) return kind === 'cme' ? cme(pair[0]) : cms(pair[1]);
  if (kind === 'cms' && ctx.nowMs() < ctx.state.smsReadyAtMs) return cms(314);
  return null;
}

/** `AT+CPIN?`, `AT+CPIN=<pin>`, `AT+CPIN=<puk>,<newpin>`, `AT+CPIN=?`. */
const cpin: CommandHandler = (command, ctx) => {
  const { state } = ctx;
  if (command.op === 'test') return OK;
  if (command.op === 'read') {
    const text = cpinText(state.sim);
    return text === null ? (simError(ctx, 'cme') ?? cme(CME.SIM_FAILURE)) : ok(`+CPIN: ${text}`);
  }
  if (command.op !== 'set') return cme(CME.BAD_PARAMETERS);
  const code = stringArg(command.args[0]);
  const newPin = stringArg(command.args[1]);
  if (code === null || command.args.length > 2) return cme(CME.BAD_PARAMETERS);
  switch (state.sim) {
    case 'absent':
    case 'busy':
    case 'blocked':
      return simError(ctx, 'cme') ?? cme(CME.SIM_FAILURE);
    case 'ready':
      return cme(CME.NOT_ALLOWED);
    case 'pin':
      if (newPin !== null) return cme(CME.BAD_PARAMETERS);
      if (code === state.card.pin) {
        state.card.pinAttemptsLeft = 3;
        state.sim = 'ready';
        return { type: 'ok', then: () => ctx.simBecameReady(true) };
      }
      state.card.pinAttemptsLeft -= 1;
      // TS 27.007 §8.3: after the last wrong PIN the SIM asks for the PUK.
      if (state.card.pinAttemptsLeft <= 0) state.sim = 'puk';
      return cme(CME.WRONG_PASSWORD);
    case 'puk':
      if (newPin === null) return cme(CME.PUK_REQUIRED);
      if (code === ctx.options.puk) {
        state.card.pin = newPin;
        state.card.pinAttemptsLeft = 3;
        state.card.pukAttemptsLeft = 10;
        state.sim = 'ready';
        return { type: 'ok', then: () => ctx.simBecameReady(true) };
      }
      state.card.pukAttemptsLeft -= 1;
      if (state.card.pukAttemptsLeft <= 0) state.sim = 'blocked';
      return cme(CME.WRONG_PASSWORD);
  }
};

/** `AT+CIMI`: the IMSI, plain digits. */
const cimi: CommandHandler = (command, ctx) => {
  if (command.op === 'test') return OK;
  return simError(ctx, 'cme') ?? ok(ctx.options.imsi);
};

/** `AT+CNUM`: `+CNUM: ,"<number>",<type>` when the SIM knows its number. */
const cnum: CommandHandler = (command, ctx) => {
  if (command.op === 'test') return OK;
  const error = simError(ctx, 'cme');
  if (error !== null) return error;
  const msisdn = ctx.options.msisdn;
  if (msisdn === null) return OK;
  return ok(`+CNUM: ,"${msisdn}",${msisdn.startsWith('+') ? 145 : 129}`);
};

/** Handlers of this module by command name. */
export const SIM_COMMANDS: Readonly<Record<string, CommandHandler>> = {
  '+CPIN': cpin,
  '+CIMI': cimi,
  '+CNUM': cnum,
};
