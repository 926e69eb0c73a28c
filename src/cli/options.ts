/**
 * The one parser and validator of `smsbridge` option values: every command turns its option
 * strings into values through these functions, so a bad value always comes out the same way:
 * GatewayError `GW_ERR_CONFIG` whose message starts with the option and whose details name it
 * (`{"code":"GW_ERR_CONFIG","message":"--baud: …","option":"--baud"}`).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { GatewayError } from '../shared/errors.ts';

/** The GW_ERR_CONFIG error for `option` (e.g. `--listen`). */
export function optionError(option: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG', `${option}: ${message}`, { option });
}

/** An inclusive range of integers. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Parses a decimal integer in `range` (no sign, no exponent, no fraction). Raises GW_ERR_CONFIG
 * naming `option` otherwise.
 */
export function parseIntegerOption(text: string, option: string, range: IntegerRange): number {
  // At most 16 digits: every such value is a safe integer, and the check stays linear.
  const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= range.min && value <= range.max)) throw optionError(option, `"${text}" is not an integer ${range.min}..${range.max}`);
  return value;
}

/** Parses a plain decimal number (`1.5`, `20`) in `range`. Raises GW_ERR_CONFIG naming `option`. */
export function parseDecimalOption(text: string, option: string, range: IntegerRange): number {
  const value = /^[0-9]{1,16}(?:\.[0-9]{1,16})?$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= range.min && value <= range.max)) throw optionError(option, `"${text}" is not a number ${range.min}..${range.max}`);
  return value;
}

/** Parses one of `choices` exactly. Raises GW_ERR_CONFIG naming `option` otherwise. */
export function parseChoiceOption<T extends string>(text: string, option: string, choices: readonly T[]): T {
  const choice = choices.find((c) => c === text);
  if (choice === undefined) throw optionError(option, `"${text}" is not one of ${choices.join(', ')}`);
  return choice;
}

/**
 * Serial line rates `--baud` accepts: the standard termios rates from 1200 up (POSIX, Linux
 * `B…` constants), which is what modems and USB-serial adapters offer.
 */
export const BAUD_RATES: readonly number[] = [
  1200, 2400, 4800, 9600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 500_000, 576_000, 921_600,
  1_000_000, 1_152_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000, 3_500_000, 4_000_000,
];

/** Parses a baud rate from {@link BAUD_RATES}. Raises GW_ERR_CONFIG naming `option` otherwise. */
export function parseBaudRateOption(text: string, option: string): number {
  const rate = /^[0-9]{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!BAUD_RATES.includes(rate)) throw optionError(option, `"${text}" is not a baud rate (${BAUD_RATES.join(', ')})`);
  return rate;
}

/** A host name or address and a port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** RFC 1123 §2.1 host name: dot-separated labels of letters, digits and inner hyphens, ≤ 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * Parses `host:port`: an IPv4 address, `[IPv6]`, or a host name, and a port 0..65535 (0: the
 * system picks one, for listening addresses). Dotted digits must be a valid IPv4 address (a
 * host name's last label is never all digits, RFC 3696 §2). Raises GW_ERR_CONFIG naming
 * `option` otherwise. The host comes back without brackets.
 */
export function parseHostPortOption(text: string, option: string): HostPort {
  const match = /^(?:\[([^\]]{1,64})\]|([^:[\]]{1,253})):([0-9]{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (match === null || !(port <= 65_535)) throw optionError(option, `"${text}" is not host:port (port 0..65535; [IPv6]:port)`);
  const bracketed = match[1];
  if (bracketed !== undefined) {
    if (!isIPv6(bracketed)) throw optionError(option, `"${bracketed}" is not an IPv6 address`);
    return { host: bracketed, port };
  }
  const host = match[2] ?? '';
  const valid = /^[0-9.]+$/.test(host) ? isIPv4(host) : HOST_NAME.test(host);
  if (!valid) throw optionError(option, `"${host}" is neither an IPv4 address nor a host name`);
  return { host, port };
}

/** A telephone number as the options take it. */
export interface PhoneNumber {
  /** The digits, without `+`. */
  readonly digits: string;
  /** True when written with a leading `+` (international format, E.164). */
  readonly international: boolean;
  /** As written: `+` and the digits, or the digits. */
  readonly text: string;
}

/**
 * Parses a telephone number: digits 0-9 only, with an optional leading `+` for the
 * international (E.164) format, at most `maxDigits` digits (default 20, the most a TP address
 * holds, TS 23.040 §9.1.2.5; E.164 numbers have at most 15). No letters, spaces, dashes or
 * signs: `-1` or `abc` are refused, never read as something else. Raises GW_ERR_CONFIG naming
 * `option` otherwise.
 */
export function parsePhoneNumberOption(text: string, option: string, maxDigits = 20): PhoneNumber {
  const match = /^(\+?)([0-9]+)$/.exec(text);
  const digits = match?.[2] ?? '';
  if (match === null || digits.length > maxDigits) {
    throw optionError(option, `"${text}" is not a telephone number (digits 0-9, optionally + in front, at most ${maxDigits} digits)`);
  }
  return { digits, international: match[1] === '+', text };
}
