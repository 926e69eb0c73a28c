/**
 * Sending and writing SMS: `+CMGS` (TS 27.005 §3.5.1, §4.3), `+CMSS` (§3.5.2, §4.7) and `+CMGW`
 * (§3.5.3, §4.4), in PDU and text mode.
 *
 *   AT+CMGS=<len> ─► "\r\n> " ─► <pdu hex> Ctrl-Z ─► check length/PDU ─► TP-MR := counter
 *     ─► network.submit(tpdu) ─► (+cmgsLatencyMs) ─► "+CMGS: <mr>" OK | +CMS ERROR: <cause>
 */
import { EncodeError } from '../../shared/errors.ts';
import { hexToBytes } from '../../shared/hex.ts';
import { decodeDcs, decodePdu, encodePdu, parseAddressText, splitIntoSubmitPdus } from '../../sms/index.ts';
import { intArg, stringArg } from './command-line.ts';
import type { CommandHandler, EngineContext } from './engine-context.ts';
import { REG_STAT } from './modem-state.ts';
import { cms, ok, type ErrorReply, type Reply } from './responses.ts';
import { simError } from './sim-commands.ts';
import { pduLayout, tryDecode } from './sms-format.ts';
import { SMS_STAT, type SmsStat } from './sms-storage.ts';

/** TS 27.005 §3.2.5 codes used here. */
const CMS = {
  NOT_ALLOWED: 302,
  PDU_PARAMETER: 304,
  TEXT_PARAMETER: 305,
  INVALID_INDEX: 321,
  MEMORY_FULL: 322,
  SMSC_UNKNOWN: 330,
  NO_NETWORK: 331,
  NETWORK_TIMEOUT: 332,
} as const;

/** TS 23.040 §9.2.3.1/§9.2.2.2: the longest SMS-SUBMIT TPDU is 164 octets. */
const MAX_TPDU_OCTETS = 164;

/** A PDU ready to submit: SMSC field + TPDU. */
interface PduBytes {
  readonly bytes: Uint8Array;
  readonly smscOctets: number;
}

/**
 * Parses what the host typed after the prompt in PDU mode: hex whose TPDU has exactly
 * `tpduLength` octets and decodes as an SMS-SUBMIT (or any PDU when `anyType`).
 */
function parsePromptPdu(input: string, tpduLength: number, anyType: boolean): PduBytes | ErrorReply {
  const hex = input.replace(/\s+/g, '');
  const layout = pduLayout(hex);
  if (layout === null || layout.tpduLength !== tpduLength) return cms(CMS.PDU_PARAMETER);
  const pdu = tryDecode(hex);
  if (pdu === null || (!anyType && pdu.type !== 'submit')) return cms(CMS.PDU_PARAMETER);
  return { bytes: layout.bytes, smscOctets: layout.smscOctets };
}

/**
 * Builds the SMS-SUBMIT of a text-mode `+CMGS`/`+CMGW` from `AT+CSMP` `<fo>,<vp>,<pid>,<dcs>`
 * and `AT+CSCS`. Text that needs more than one SMS, or that the alphabet cannot hold, is refused
 * with `+CMS ERROR: 305`.
 */
function buildTextSubmit(ctx: EngineContext, destination: string, text: string): PduBytes | ErrorReply {
  const [fo, vp, pid, dcsRaw] = ctx.state.csmp;
  const dcs = decodeDcs(dcsRaw);
  const ucs2Input = ctx.state.v250.cscs === 'UCS2';
  try {
    let payload: { data: Uint8Array } | { text: string };
    if (dcs.encoding === '8bit') {
      const data = hexToBytes(text);
      if (data === null) return cms(CMS.TEXT_PARAMETER);
      payload = { data };
    } else {
      const hexText = ucs2Input ? hexToBytes(text) : null;
      if (ucs2Input && hexText === null) return cms(CMS.TEXT_PARAMETER);
      payload = { text: hexText === null ? text : Buffer.from(hexText).swap16().toString('utf16le') };
    }
    const parts = splitIntoSubmitPdus({
      destination,
      payload,
      textEncoding: dcs.encoding === 'ucs2' ? 'ucs2' : 'gsm7',
      statusReportRequest: (fo & 0x20) !== 0,
      // TS 23.040 §9.2.3.3: VPF 10 = relative; other formats are not offered in text mode here.
      validityPeriod: ((fo >> 3) & 0x03) === 0b10 ? { format: 'relative', code: vp } : null,
      messageClass: dcs.messageClass,
    });
    const part = parts[0];
    if (part === undefined || parts.length !== 1) return cms(CMS.TEXT_PARAMETER);
    const encoded = encodePdu({ ...part.pdu, protocolId: pid });
    return { bytes: encoded.bytes, smscOctets: encoded.bytes.length - encoded.tpduLength };
  } catch (error) {
    if (error instanceof EncodeError) return cms(CMS.TEXT_PARAMETER);
    throw error;
  }
}

/**
 * Ends a relay link whose `AT+CMMS=1` hold ran out: the link closes and `AT+CMMS` falls back to
 * 0 (TS 27.005 §3.5.6). Called before a submit and before `AT+CMMS?` answers.
 */
export function expireRelayLink(ctx: EngineContext): void {
  const { state } = ctx;
  if (state.relayLinkUntilMs === 0 || ctx.nowMs() <= state.relayLinkUntilMs) return;
  state.relayLinkUntilMs = 0;
  if (state.cmms === 1) state.cmms = 0;
}

/**
 * The time this submit spends setting up the relay link: none while an `AT+CMMS` hold keeps the
 * previous submit's link up, else `relayLinkSetupMs`. A `<n>`=1 hold that ran out switches
 * `AT+CMMS` back to 0, as TS 27.005 §3.5.6 says the TA does.
 */
function relayLinkSetupMs(ctx: EngineContext): number {
  const { state } = ctx;
  expireRelayLink(ctx);
  if (state.cmms !== 0 && ctx.nowMs() <= state.relayLinkUntilMs) return 0;
  state.relayLinkUntilMs = 0;
  ctx.counters.relayLinkSetups++;
  return ctx.options.relayLinkSetupMs;
}

/**
 * Submits a PDU to the network with the next TP-MR and answers `<prefix>: <mr>` once the
 * network accepted it and `cmgsLatencyMs` passed; `+CMS ERROR: <cause>` when it refused,
 * 332 without an answer in `submitTimeoutMs`, 331 without network, 330 without SMSC.
 */
function submit(ctx: EngineContext, pdu: PduBytes, prefix: '+CMGS' | '+CMSS', onSent?: () => void): Reply {
  const { state, options } = ctx;
  if (pdu.smscOctets === 1 && state.card.smsc.address === '') return cms(CMS.SMSC_UNKNOWN);
  if (options.cmgsFailsWhenFull && ctx.storages[state.cpms[2]].full) return cms(CMS.MEMORY_FULL);
  const network = ctx.network();
  const registered = state.regStat === REG_STAT.HOME || state.regStat === REG_STAT.ROAMING;
  if (network === null || state.cfun !== 1 || !registered) return cms(CMS.NO_NETWORK);
  // TS 23.040 §9.2.3.6: the MS increments TP-MR for each new SMS-SUBMIT, modulo 256.
  const mr = state.card.nextMessageReference;
  state.card.nextMessageReference = (mr + 1) & 0xff;
  const tpdu = pdu.bytes.slice(pdu.smscOctets);
  tpdu[1] = mr;
  ctx.counters.smsSubmitted++;
  const tpduHex = Buffer.from(tpdu).toString('hex').toUpperCase();
  const linkSetupMs = relayLinkSetupMs(ctx);
  return {
    type: 'pending',
    start: (done) => {
      let settled = false;
      const finish = (reply: Reply): void => {
        if (settled) return;
        settled = true;
        cancelTimeout();
        ctx.setTimer(options.cmgsLatencyMs + linkSetupMs, () => {
          // TS 27.005 §3.5.6: with AT+CMMS the link stays up after this result (<n>=2 until changed).
          if (state.cmms !== 0) state.relayLinkUntilMs = state.cmms === 2 ? Number.POSITIVE_INFINITY : ctx.nowMs() + options.cmmsHoldMs;
          done(reply);
        });
      };
      const cancelTimeout = ctx.setTimer(options.submitTimeoutMs, () => finish(cms(CMS.NETWORK_TIMEOUT)));
      network.submit(tpduHex).then(
        (result) => {
          if (!result.ok) return finish(cms(result.cause));
          ctx.counters.smsSent++;
          onSent?.();
          finish(ok(`${prefix}: ${mr}`));
        },
        () => finish(cms(CMS.NETWORK_TIMEOUT)),
      );
    },
  };
}

/** `AT+CMGS=<length>` (PDU) / `AT+CMGS="<da>"[,<toda>]` (text). */
const cmgs: CommandHandler = (command, ctx) => {
  const error = simError(ctx, 'cms');
  if (error !== null) return error;
  if (command.op === 'test') return { type: 'ok' };
  if (command.op !== 'set') return cms(ctx.state.v250.cmgf === 1 ? CMS.TEXT_PARAMETER : CMS.PDU_PARAMETER);
  if (ctx.state.v250.cmgf === 1) {
    const destination = stringArg(command.args[0]);
    if (destination === null || !command.args[0]?.quoted) return cms(CMS.TEXT_PARAMETER);
    return {
      type: 'prompt',
      mode: 'text',
      complete: (text) => {
        const pdu = buildTextSubmit(ctx, destination, text);
        return 'type' in pdu ? pdu : submit(ctx, pdu, '+CMGS');
      },
    };
  }
  const length = intArg(command.args[0], 1, MAX_TPDU_OCTETS);
  if (length === null) return cms(CMS.PDU_PARAMETER);
  return {
    type: 'prompt',
    mode: 'pdu',
    complete: (input) => {
      const pdu = parsePromptPdu(input, length, false);
      return 'type' in pdu ? pdu : submit(ctx, pdu, '+CMGS');
    },
  };
};

/** `AT+CMGW=<length>[,<stat>]` (PDU) / `AT+CMGW["<da>"[,<toda>[,<stat>]]]` (text): stores in `<mem2>`. */
const cmgw: CommandHandler = (command, ctx) => {
  const error = simError(ctx, 'cms');
  if (error !== null) return error;
  if (command.op === 'test') return { type: 'ok' };
  const storage = ctx.storages[ctx.state.cpms[1]];
  const write = (pdu: PduBytes, stat: SmsStat): Reply => {
    const pduHex = Buffer.from(pdu.bytes).toString('hex').toUpperCase();
    const kind = decodePdu(pduHex).type;
    const index = storage.store({ stat, pduHex, tpduLength: pdu.bytes.length - pdu.smscOctets, kind });
    return index === null ? cms(CMS.MEMORY_FULL) : ok(`+CMGW: ${index}`);
  };
  if (ctx.state.v250.cmgf === 1) {
    const destination = stringArg(command.args[0]) ?? '';
    const statText = stringArg(command.args[2]);
    const stat = statText === 'STO SENT' ? SMS_STAT.STORED_SENT : SMS_STAT.STORED_UNSENT;
    return {
      type: 'prompt',
      mode: 'text',
      complete: (text) => {
        const pdu = buildTextSubmit(ctx, destination === '' ? '0' : destination, text);
        return 'type' in pdu ? pdu : write(pdu, stat);
      },
    };
  }
  const length = intArg(command.args[0], 1, MAX_TPDU_OCTETS);
  const stat = intArg(command.args[1], 0, 3, SMS_STAT.STORED_UNSENT);
  if (command.op !== 'set' || length === null || stat === null) return cms(CMS.PDU_PARAMETER);
  return {
    type: 'prompt',
    mode: 'pdu',
    complete: (input) => {
      const pdu = parsePromptPdu(input, length, true);
      return 'type' in pdu ? pdu : write(pdu, stat as SmsStat);
    },
  };
};

/** `AT+CMSS=<index>[,<da>[,<toda>]]`: sends a stored SMS-SUBMIT from `<mem2>`. */
const cmss: CommandHandler = (command, ctx) => {
  const error = simError(ctx, 'cms');
  if (error !== null) return error;
  if (command.op === 'test') return { type: 'ok' };
  const storage = ctx.storages[ctx.state.cpms[1]];
  const index = intArg(command.args[0], 0, 65535);
  if (command.op !== 'set' || index === null || !storage.inRange(index)) return cms(CMS.INVALID_INDEX);
  const message = storage.get(index);
  const pdu = message === undefined ? null : tryDecode(message.pduHex);
  if (message === undefined || pdu?.type !== 'submit') return cms(CMS.INVALID_INDEX);
  const destinationText = stringArg(command.args[1]);
  let encoded = { bytes: hexToBytes(message.pduHex) ?? new Uint8Array(0), smscOctets: (pduLayout(message.pduHex)?.smscOctets ?? 1) };
  if (destinationText !== null) {
    try {
      const bytes = encodePdu({ ...pdu, destination: parseAddressText(destinationText) }).bytes;
      encoded = { bytes, smscOctets: encoded.smscOctets };
    } catch {
      return cms(ctx.state.v250.cmgf === 1 ? CMS.TEXT_PARAMETER : CMS.PDU_PARAMETER);
    }
  }
  return submit(ctx, encoded, '+CMSS', () => {
    message.stat = SMS_STAT.STORED_SENT;
  });
};

/** Handlers of this module by command name. */
export const SEND_COMMANDS: Readonly<Record<string, CommandHandler>> = {
  '+CMGS': cmgs,
  '+CMGW': cmgw,
  '+CMSS': cmss,
};
