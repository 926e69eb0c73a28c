import { describe, expect, it } from 'vitest';
import { intArg, parseCommandBody, stripAtPrefix } from '../../../../src/sim/modem/command-line.ts';
import { parseParameterRanges, SIM_PROFILES } from '../../../../src/sim/modem/profiles.ts';

describe('V.250 command line parsing', () => {
  it('finds the AT prefix in any case and ignores what comes before it (V.250 §5.2.1)', () => {
    expect(stripAtPrefix('AT+CSQ')).toBe('+CSQ');
    expect(stripAtPrefix('at+csq')).toBe('+csq');
    expect(stripAtPrefix('\u0000xxAt')).toBe('');
    expect(stripAtPrefix('hello')).toBeNull();
  });

  it('splits basic commands written without separators', () => {
    expect(parseCommandBody('E0V1Q0X4&C1&D2')).toEqual([
      { kind: 'basic', name: 'E', value: 0 },
      { kind: 'basic', name: 'V', value: 1 },
      { kind: 'basic', name: 'Q', value: 0 },
      { kind: 'basic', name: 'X', value: 4 },
      { kind: 'basic', name: '&C', value: 1 },
      { kind: 'basic', name: '&D', value: 2 },
    ]);
    expect(parseCommandBody('I')).toEqual([{ kind: 'basic', name: 'I', value: null }]);
  });

  it('reads extended commands in their four forms, separated by semicolons (§5.4)', () => {
    expect(parseCommandBody('+CMEE=1;+CREG?;+CNMI=?;+CSQ')).toEqual([
      { kind: 'extended', name: '+CMEE', op: 'set', args: [{ text: '1', quoted: false }] },
      { kind: 'extended', name: '+CREG', op: 'read', args: [] },
      { kind: 'extended', name: '+CNMI', op: 'test', args: [] },
      { kind: 'extended', name: '+CSQ', op: 'exec', args: [] },
    ]);
  });

  it('upper-cases outside quotes only, keeps omitted arguments and quoted commas', () => {
    expect(parseCommandBody('+cpms="sm", "a,b" ,,me')).toEqual([
      {
        kind: 'extended',
        name: '+CPMS',
        op: 'set',
        args: [{ text: 'sm', quoted: true }, { text: 'a,b', quoted: true }, null, { text: 'ME', quoted: false }],
      },
    ]);
  });

  it('accepts basic commands before an extended one and vendor prefixes', () => {
    expect(parseCommandBody('E0 +CMEE=2;^CURC=0')).toEqual([
      { kind: 'basic', name: 'E', value: 0 },
      { kind: 'extended', name: '+CMEE', op: 'set', args: [{ text: '2', quoted: false }] },
      { kind: 'extended', name: '^CURC', op: 'set', args: [{ text: '0', quoted: false }] },
    ]);
  });

  it('reads S-parameters and dial strings', () => {
    expect(parseCommandBody('S0=0S7?')).toEqual([
      { kind: 'sreg', register: 0, value: 0 },
      { kind: 'sreg', register: 7, value: null },
    ]);
    expect(parseCommandBody('D+4912345;')).toEqual([{ kind: 'dial', dialString: '+4912345;' }]);
  });

  it('rejects malformed lines', () => {
    expect(parseCommandBody('+CSQ X')).toBeNull(); // extended command must end at ; or the line end
    expect(parseCommandBody('+CMGS="unterminated')).toBeNull();
    expect(parseCommandBody('+="x"')).toBeNull();
    expect(parseCommandBody('S=1')).toBeNull();
    expect(parseCommandBody('&')).toBeNull();
    expect(parseCommandBody('#')).toBeNull();
    expect(parseCommandBody('+CSCA="1"2')).toBeNull();
  });

  it('intArg checks range and fallback', () => {
    expect(intArg({ text: '3', quoted: false }, 0, 4)).toBe(3);
    expect(intArg({ text: '5', quoted: false }, 0, 4)).toBeNull();
    expect(intArg({ text: '3', quoted: true }, 0, 4)).toBeNull();
    expect(intArg(null, 0, 4, 2)).toBe(2);
    expect(intArg(undefined, 0, 4)).toBeNull();
  });
});

describe('parameter ranges', () => {
  it('parses TS 27.005 range lists', () => {
    const ranges = parseParameterRanges('(0-2),(0-3),(0,2),(0-2),(0,1)');
    expect(ranges.map((r) => [...r])).toEqual([[0, 1, 2], [0, 1, 2, 3], [0, 2], [0, 1, 2], [0, 1]]);
    expect(() => parseParameterRanges('nonsense')).toThrow(RangeError);
    expect(() => parseParameterRanges('(a)')).toThrow(RangeError);
  });

  it('every built-in profile has valid CNMI ranges that allow its default', () => {
    for (const profile of Object.values(SIM_PROFILES)) {
      const ranges = parseParameterRanges(profile.cnmiRanges);
      expect(ranges).toHaveLength(5);
      profile.cnmiDefault.forEach((value, i) => expect(ranges[i]?.has(value), `${profile.name} CNMI param ${i}`).toBe(true));
    }
  });
});
