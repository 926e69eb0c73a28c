/**
 * The shared option parser of the CLI (src/cli/options.ts): pure functions, values in, value or
 * GW_ERR_CONFIG naming the option out.
 */
import { describe, expect, it } from 'vitest';
import {
  parseBaudRateOption, parseChoiceOption, parseDecimalOption, parseHostPortOption, parseIntegerOption, parsePhoneNumberOption,
} from '../../../src/cli/options.ts';
import { GatewayError } from '../../../src/shared/errors.ts';

/** The error `run` throws; it must be GW_ERR_CONFIG naming `option`. */
function configError(run: () => unknown, option: string): GatewayError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    const typed = error as GatewayError;
    expect(typed.code).toBe('GW_ERR_CONFIG');
    expect(typed.details).toEqual({ option });
    expect(typed.message.startsWith(`${option}: `)).toBe(true);
    return typed;
  }
  throw new Error(`no error for ${option}`);
}

describe('parseHostPortOption', () => {
  it.each([
    ['127.0.0.1:5683', { host: '127.0.0.1', port: 5683 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
    ['leshan.example.org:5683', { host: 'leshan.example.org', port: 5683 }],
    ['[::1]:5683', { host: '::1', port: 5683 }],
    ['[fe80::1%eth0]:1', { host: 'fe80::1%eth0', port: 1 }], // a link-local address with its zone
  ])('%s', (text, expected) => {
    expect(parseHostPortOption(text, '--listen')).toEqual(expected);
  });

  it.each(['999.1.1.1:1', '1.2.3:80', '256.0.0.1:1', '127.0.0.1:65536', '127.0.0.1', ':80', 'host:', '::1:80', '[::1:80', 'a_b:1', '-a:1', 'a..b:1', `${'a'.repeat(64)}:1`, 'x:-1', 'x:1e3'])(
    'refuses %s',
    (text) => {
      configError(() => parseHostPortOption(text, '--listen'), '--listen');
    },
  );
});

describe('parsePhoneNumberOption', () => {
  it('takes digits with an optional +, up to maxDigits', () => {
    expect(parsePhoneNumberOption('+491701234567', '--to')).toEqual({ digits: '491701234567', international: true, text: '+491701234567' });
    expect(parsePhoneNumberOption('01701234567', '--to')).toEqual({ digits: '01701234567', international: false, text: '01701234567' });
    expect(parsePhoneNumberOption('1'.repeat(20), '--to').digits).toHaveLength(20);
    expect(parsePhoneNumberOption('+123456789012345', '--msisdn', 15).digits).toHaveLength(15);
  });

  it.each(['-1', 'abc', '', '+', '++49', '49 170', '0170-123', '1'.repeat(21), '*100#', '12a'])('refuses %j', (text) => {
    configError(() => parsePhoneNumberOption(text, '--to'), '--to');
  });

  it('refuses 16 digits where E.164 allows 15', () => {
    configError(() => parsePhoneNumberOption('+1234567890123456', '--msisdn', 15), '--msisdn');
  });
});

describe('numbers, rates and choices', () => {
  it('parses integers in range only, without sign, exponent or fraction', () => {
    expect(parseIntegerOption('0', '--n', { min: 0, max: 10 })).toBe(0);
    expect(parseIntegerOption('10', '--n', { min: 0, max: 10 })).toBe(10);
    for (const text of ['11', '-1', '1e1', '1.0', ' 1', '', '0x1', '99999999999999999']) configError(() => parseIntegerOption(text, '--n', { min: 0, max: 10 }), '--n');
  });

  it('parses plain decimals in range', () => {
    expect(parseDecimalOption('1.5', '--f', { min: 1, max: 10 })).toBe(1.5);
    expect(parseDecimalOption('2', '--f', { min: 1, max: 10 })).toBe(2);
    for (const text of ['0.5', '1.', '.5', 'NaN', 'Infinity', '1e1', '-2']) configError(() => parseDecimalOption(text, '--f', { min: 1, max: 10 }), '--f');
  });

  it('takes standard baud rates only', () => {
    expect(parseBaudRateOption('115200', '--baud')).toBe(115_200);
    expect(parseBaudRateOption('9600', '--baud')).toBe(9600);
    for (const text of ['abc', '0', '-9600', '12345', '115200.0', '']) configError(() => parseBaudRateOption(text, '--baud'), '--baud');
  });

  it('takes one of the choices exactly', () => {
    expect(parseChoiceOption('ec25', '--profile', ['generic', 'ec25'])).toBe('ec25');
    const error = configError(() => parseChoiceOption('EC25', '--profile', ['generic', 'ec25']), '--profile');
    expect(error.message).toContain('generic, ec25');
  });

  it('stays linear on a megabyte of input', () => {
    const long = '9'.repeat(1 << 20);
    configError(() => parsePhoneNumberOption(long, '--to'), '--to');
    configError(() => parseHostPortOption(`${'a.'.repeat(1 << 19)}:1`, '--listen'), '--listen');
    configError(() => parseIntegerOption(long, '--n', { min: 0, max: 1 }), '--n');
  });
});
