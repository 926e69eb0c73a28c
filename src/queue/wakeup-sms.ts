/**
 * The SMS of one wake-up attempt, per the device group's settings: the Registration Update
 * Trigger (`/1/x/8`, raw CoAP or WAP Push, with a fresh Message ID and token so the device's
 * answer can be recognised) or the shoulder-tap (text or binary from config), and what it costs.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { smsPartsOf } from '../bridge/sms-budget.ts';
import { hexToBytes } from '../shared/hex.ts';
import { splitIntoSubmitPdus } from '../sms/index.ts';
import { buildTrigger } from './triggers.ts';
import type { WakeupSettings } from './wakeup-settings.ts';

/** One wake-up SMS: its payload, UDH ports (WAP Push), and the CoAP ids of a trigger (null for a shoulder-tap). */
export interface WakeupSms {
  readonly payload: { data: Uint8Array } | { text: string };
  readonly ports: { destination: number; source: number } | null;
  readonly coap: { readonly messageId: number; readonly token: Uint8Array } | null;
}

/** No bytes (a text shoulder-tap has no CoAP to classify). */
const EMPTY = new Uint8Array(0);

/** The SMS a wake-up attempt sends under `settings` (new random CoAP ids for a trigger). */
export function wakeupSms(settings: WakeupSettings): WakeupSms {
  if (settings.triggerKind === 'shoulder-tap') {
    const data = settings.shoulderTapHex === '' ? null : hexToBytes(settings.shoulderTapHex);
    return { payload: data === null ? { text: settings.shoulderTapText } : { data }, ports: null, coap: null };
  }
  const coap = { messageId: randomInt(0x10000), token: randomBytes(4) };
  const sms = buildTrigger({ kind: 'registration-update', mode: settings.triggerMode, framing: settings.framing, ...coap });
  return { payload: { data: sms.payload }, ports: sms.ports, coap };
}

/** SMS parts of `sms` as the splitter will send it (a text shoulder-tap: GSM 7-bit or UCS2 per its characters). */
export function wakeupSmsParts(sms: WakeupSms): number {
  if ('data' in sms.payload) return smsPartsOf(sms.payload.data.length, sms.ports !== null);
  return splitIntoSubmitPdus({ destination: '+1', payload: sms.payload, concatReference: 0 }).length;
}

/** The bytes of `sms` to classify by operation kind (none for a text shoulder-tap). */
export function wakeupSmsBytes(sms: WakeupSms): Uint8Array {
  return 'data' in sms.payload ? sms.payload.data : EMPTY;
}
