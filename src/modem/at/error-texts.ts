/**
 * Numeric and verbose forms of `+CME ERROR` (3GPP TS 27.007 §9.2) and `+CMS ERROR`
 * (3GPP TS 27.005 §3.2.5). With `AT+CMEE=1` modems send the number, with `AT+CMEE=2` the text;
 * these tables let both forms carry a code and a text where the standard defines one.
 *
 * Verbose texts are matched loosely: case, punctuation, repeated blanks, `(U)SIM`/`USIM` versus
 * `SIM` and a `+` before `CNMA` do not matter, because firmware spells them differently.
 */

/** TS 27.007 §9.2.1 (general errors) and §9.2.2 (selected GPRS-related ones): code → text. */
export const CME_ERROR_TEXTS: Readonly<Record<number, string>> = Object.freeze({
  0: 'phone failure',
  1: 'no connection to phone',
  2: 'phone-adaptor link reserved',
  3: 'operation not allowed',
  4: 'operation not supported',
  5: 'PH-SIM PIN required',
  6: 'PH-FSIM PIN required',
  7: 'PH-FSIM PUK required',
  10: 'SIM not inserted',
  11: 'SIM PIN required',
  12: 'SIM PUK required',
  13: 'SIM failure',
  14: 'SIM busy',
  15: 'SIM wrong',
  16: 'incorrect password',
  17: 'SIM PIN2 required',
  18: 'SIM PUK2 required',
  20: 'memory full',
  21: 'invalid index',
  22: 'not found',
  23: 'memory failure',
  24: 'text string too long',
  25: 'invalid characters in text string',
  26: 'dial string too long',
  27: 'invalid characters in dial string',
  30: 'no network service',
  31: 'network timeout',
  32: 'network not allowed - emergency calls only',
  40: 'network personalization PIN required',
  41: 'network personalization PUK required',
  42: 'network subset personalization PIN required',
  43: 'network subset personalization PUK required',
  44: 'service provider personalization PIN required',
  45: 'service provider personalization PUK required',
  46: 'corporate personalization PIN required',
  47: 'corporate personalization PUK required',
  50: 'incorrect parameters',
  100: 'unknown',
  103: 'illegal MS',
  106: 'illegal ME',
  107: 'GPRS services not allowed',
  111: 'PLMN not allowed',
  112: 'location area not allowed',
  113: 'roaming not allowed in this location area',
});

/**
 * TS 27.005 §3.2.5, values 300..500 (0..255 are TS 24.011 RP / TS 23.040 TP failure causes and
 * 512.. are manufacturer specific; neither has a standard verbose text here): code → text.
 */
export const CMS_ERROR_TEXTS: Readonly<Record<number, string>> = Object.freeze({
  300: 'ME failure',
  301: 'SMS service of ME reserved',
  302: 'operation not allowed',
  303: 'operation not supported',
  304: 'invalid PDU mode parameter',
  305: 'invalid text mode parameter',
  310: '(U)SIM not inserted',
  311: '(U)SIM PIN required',
  312: 'PH-(U)SIM PIN required',
  313: '(U)SIM failure',
  314: '(U)SIM busy',
  315: '(U)SIM wrong',
  316: '(U)SIM PUK required',
  317: '(U)SIM PIN2 required',
  318: '(U)SIM PUK2 required',
  320: 'memory failure',
  321: 'invalid memory index',
  322: 'memory full',
  330: 'SMSC address unknown',
  331: 'no network service',
  332: 'network timeout',
  340: 'no +CNMA acknowledgement expected',
  500: 'unknown error',
});

/** Spellings seen in firmware that differ from the standard text by more than punctuation. */
const CME_ALIASES: ReadonlyArray<readonly [string, number]> = [['unknown error', 100]];
const CMS_ALIASES: ReadonlyArray<readonly [string, number]> = [['not supported', 303]];

const CME_BY_TEXT = indexByText(CME_ERROR_TEXTS, CME_ALIASES);
const CMS_BY_TEXT = indexByText(CMS_ERROR_TEXTS, CMS_ALIASES);

/** The TS 27.007 §9.2 text of a `+CME ERROR` code, or null when the table has none. */
export function cmeErrorText(code: number): string | null {
  return CME_ERROR_TEXTS[code] ?? null;
}

/** The TS 27.005 §3.2.5 text of a `+CMS ERROR` code, or null when the table has none. */
export function cmsErrorText(code: number): string | null {
  return CMS_ERROR_TEXTS[code] ?? null;
}

/**
 * The `+CME ERROR` code of a verbose text (`AT+CMEE=2`), e.g. `SIM PIN required` → 11, or null
 * when the text is not in the TS 27.007 §9.2 table.
 */
export function cmeErrorCode(text: string): number | null {
  return CME_BY_TEXT.get(normalizeErrorText(text)) ?? null;
}

/**
 * The `+CMS ERROR` code of a verbose text, e.g. `unknown error` → 500 or `SIM busy` → 314, or
 * null when the text is not in the TS 27.005 §3.2.5 table.
 */
export function cmsErrorCode(text: string): number | null {
  return CMS_BY_TEXT.get(normalizeErrorText(text)) ?? null;
}

/** Lower case, `(U)SIM`/`USIM` → `sim`, every run of non-alphanumerics → one blank, trimmed. */
function normalizeErrorText(text: string): string {
  return text
    .toLowerCase()
    .replace(/\(u\)sim|\busim\b/g, 'sim')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

function indexByText(
  table: Readonly<Record<number, string>>,
  aliases: ReadonlyArray<readonly [string, number]>,
): ReadonlyMap<string, number> {
  const byText = new Map<string, number>();
  for (const [code, text] of Object.entries(table)) {
    byText.set(normalizeErrorText(text), Number(code));
  }
  for (const [text, code] of aliases) byText.set(normalizeErrorText(text), code);
  return byText;
}
