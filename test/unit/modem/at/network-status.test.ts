import { describe, expect, it } from 'vitest';
import {
  csqToDbm,
  parseCsq,
  parseRegistrationState,
} from '../../../../src/modem/at/network-status.ts';
import { parseUrcHeader } from '../../../../src/modem/at/line-parser.ts';
import { expectParseError } from './at-test-helpers.ts';

describe('registration', () => {
  it('reads the URC forms stat[,lac,ci[,act]] of +CREG, +CGREG and +CEREG', () => {
    expect(parseUrcHeader('+CREG: 1')).toEqual({
      kind: 'registration',
      registration: {
        prefix: '+CREG', form: 'urc', n: null, stat: 1, status: 'home', registered: true,
        lac: null, ci: null, act: null,
      },
    });
    expect(parseUrcHeader('+CREG: 5,"1a2b","01c3d4e5",7')).toMatchObject({
      registration: {
        form: 'urc', stat: 5, status: 'roaming', lac: '1A2B', ci: '01C3D4E5', act: 7,
      },
    });
    // +CGREG URC carries <rac> after <AcT>; it is ignored.
    expect(parseUrcHeader('+CGREG: 2,"00C3","0000A13F",2,"01"')).toMatchObject({
      registration: { prefix: '+CGREG', stat: 2, status: 'searching', registered: false, act: 2 },
    });
    expect(parseUrcHeader('+CEREG: 1,,,7')).toMatchObject({
      registration: { prefix: '+CEREG', form: 'urc', lac: null, ci: null, act: 7 },
    });
  });

  it('tells the AT+CREG? response n,stat apart from the URC', () => {
    expect(parseUrcHeader('+CREG: 0,1')).toMatchObject({
      registration: { form: 'response', n: 0, stat: 1, registered: true },
    });
    expect(parseRegistrationState('+CREG: 2,5,"1A2B","01C3D4E5",7', 'response')).toEqual({
      prefix: '+CREG', form: 'response', n: 2, stat: 5, status: 'roaming', registered: true,
      lac: '1A2B', ci: '01C3D4E5', act: 7,
    });
    // The caller may force the form: the same text read as a URC means stat 0, lac "1".
    expect(parseRegistrationState('+CREG: 0,1', 'urc')).toMatchObject({ stat: 0, lac: '1' });
    expect(parseRegistrationState('+CSQ: 1,2', 'urc')).toBeNull();
    expectParseError(() => parseRegistrationState('+CEREG: 2', 'response'), '+CEREG', 9);
  });

  it('maps every TS 27.007 §7.2 stat value', () => {
    const expected = [
      ['not-registered', false], ['home', true], ['searching', false], ['denied', false],
      ['unknown', false], ['roaming', true], ['sms-only-home', true], ['sms-only-roaming', true],
      ['emergency-only', false], ['csfb-not-preferred-home', true],
      ['csfb-not-preferred-roaming', true], ['other', false],
    ];
    expected.forEach(([status, registered], stat) => {
      expect(parseRegistrationState(`+CEREG: ${stat}`, 'urc')).toMatchObject({
        stat, status, registered,
      });
    });
  });
});

describe('signal quality', () => {
  it.each([
    [0, -113], [1, -111], [2, -109], [15, -83], [30, -53], [31, -51],
    [99, null], [32, null], [98, null], [-1, null], [1.5, null], [Number.NaN, null],
  ])('csqToDbm(%d) = %s', (rssi, dbm) => {
    expect(csqToDbm(rssi)).toBe(dbm);
  });

  it('parses +CSQ', () => {
    expect(parseCsq('+CSQ: 20,99')).toEqual({ rssi: 20, ber: 99, dbm: -73 });
    expect(parseCsq('+CSQ: 99,99')).toEqual({ rssi: 99, ber: 99, dbm: null });
    expect(parseCsq('+CSQX: 1,2')).toBeNull();
    expect(parseCsq('OK')).toBeNull();
    expectParseError(() => parseCsq('+CSQ: 20'), '+CSQ', 8);
    expectParseError(() => parseCsq('+CSQ: ,99'), '+CSQ', 6);
  });
});
