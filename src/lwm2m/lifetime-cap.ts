/**
 * The gateway's longest registration lifetime. A Register or Update asking for more (`lt=4000000000`)
 * is relayed with `lt` lowered to the cap, so the core and the mirror agree on when the
 * registration lapses and its core-facing port comes back. The device learns nothing: when the
 * core lets the registration lapse, the device's next Update gets 4.04 and it registers again
 * (LwM2M 1.1 Core §6.2.2). Pure.
 */
import { CoapCode } from './coap-codes.ts';
import type { CoapMessage } from './coap-message.ts';
import { CoapOptionNumber, uriPath } from './coap-options.ts';

/** Default longest lifetime: 7 days, in seconds. */
export const DEFAULT_MAX_LIFETIME_SEC = 7 * 86_400;

/**
 * `message` with every `lt=` Uri-Query above `maxLifetimeSec` replaced by `lt=<maxLifetimeSec>`
 * when it is a Register or Update (`POST /rd…`); otherwise (and when nothing is above the cap, or
 * the path is not UTF-8) `message` itself, unchanged. Other options keep their order. An `lt`
 * that is not decimal digits is left for the query parser to refuse.
 */
export function capLifetime(message: CoapMessage, maxLifetimeSec: number): CoapMessage {
  // Every Register and Update comes here: most have no `lt` above the cap, found without
  // decoding the path or building new options (bench/device-scale: CPU per Register).
  if (message.code !== CoapCode.POST || !anyAboveCap(message, maxLifetimeSec)) return message;
  let path: string[];
  try {
    path = uriPath(message);
  } catch {
    return message;
  }
  if (path[0] !== 'rd') return message;
  let changed = false;
  const options = message.options.map((option) => {
    if (option.number !== CoapOptionNumber.URI_QUERY) return option;
    if (!aboveCap(option.value, maxLifetimeSec)) return option;
    changed = true;
    return { number: option.number, value: Buffer.from(`lt=${maxLifetimeSec}`, 'latin1') };
  });
  return changed ? { ...message, options } : message;
}

function anyAboveCap(message: CoapMessage, maxLifetimeSec: number): boolean {
  for (const option of message.options) if (option.number === CoapOptionNumber.URI_QUERY && aboveCap(option.value, maxLifetimeSec)) return true;
  return false;
}

/** True when a Uri-Query value is `lt=<decimal digits>` above `maxLifetimeSec`. */
function aboveCap(value: Uint8Array, maxLifetimeSec: number): boolean {
  // Only an `lt=` argument can match: the others are not decoded at all.
  if (value.length < 4 || value[0] !== 0x6c || value[1] !== 0x74 || value[2] !== 0x3d) return false;
  // The digits read in place (`lt=` then decimal digits only): leading zeros skipped, the value compared
  // as a number only when short enough to be exact: a longer run of digits is above any cap.
  let first = 3;
  while (first < value.length - 1 && value[first] === 0x30) first++;
  let lifetimeSec = 0;
  for (let i = 3; i < value.length; i++) {
    const digit = value[i]! - 0x30;
    if (digit < 0 || digit > 9) return false; // not decimal digits: left for the query parser to refuse
    if (i >= first) lifetimeSec = lifetimeSec * 10 + digit;
  }
  return value.length - first > 15 || lifetimeSec > maxLifetimeSec;
}
