import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../../src/shared/errors.ts';
import { AtLineFramer } from '../../../../src/modem/at/line-framer.ts';
import {
  CME_ERROR_TEXTS,
  CMS_ERROR_TEXTS,
  csqToDbm,
  parseCsq,
  parseFinalResult,
  parseInformationLine,
  parseRangeList,
  parseRegistrationState,
  parseUrcHeader,
  type FinalResult,
  type UrcHeader,
} from '../../../../src/modem/at/line-parser.ts';
import {
  bytes,
  expectParseError,
  frameChunks,
  lineTexts,
  randomInt,
  seededRandom,
} from './at-test-helpers.ts';

describe('parseFinalResult', () => {
  it.each<[string, FinalResult]>([
    ['OK', { kind: 'ok' }],
    [' OK ', { kind: 'ok' }],
    ['ERROR', { kind: 'error', text: 'ERROR' }],
    ['COMMAND NOT SUPPORT', { kind: 'error', text: 'COMMAND NOT SUPPORT' }], // Huawei
    ['NO CARRIER', { kind: 'connection', text: 'NO CARRIER' }],
    ['NO DIALTONE', { kind: 'connection', text: 'NO DIALTONE' }],
    ['BUSY', { kind: 'connection', text: 'BUSY' }],
    ['NO ANSWER', { kind: 'connection', text: 'NO ANSWER' }],
    // AT+CMEE=1: numbers; the standard text is filled in where TS 27.007 §9.2 has one.
    ['+CME ERROR: 10', { kind: 'cme', code: 10, text: 'SIM not inserted' }],
    ['+CME ERROR: 999', { kind: 'cme', code: 999, text: null }],
    // AT+CMEE=2: text; the code is looked up.
    ['+CME ERROR: SIM PIN required', { kind: 'cme', code: 11, text: 'SIM PIN required' }],
    ['+CME ERROR: Incorrect password', { kind: 'cme', code: 16, text: 'Incorrect password' }],
    ['+CME ERROR: "SIM busy"', { kind: 'cme', code: 14, text: 'SIM busy' }],
    ['+CME ERROR: vendor says no', { kind: 'cme', code: null, text: 'vendor says no' }],
    ['+CME ERROR:', { kind: 'cme', code: null, text: null }],
    ['+CME ERROR', { kind: 'cme', code: null, text: null }],
    ['+CMS ERROR: 500', { kind: 'cms', code: 500, text: 'unknown error' }],
    ['+CMS ERROR: unknown error', { kind: 'cms', code: 500, text: 'unknown error' }],
    ['+CMS ERROR: 1', { kind: 'cms', code: 1, text: null }], // TP cause, no standard text here
    ['+CMS ERROR: SMSC address unknown', { kind: 'cms', code: 330, text: 'SMSC address unknown' }],
    ['+CMS ERROR: USIM busy', { kind: 'cms', code: 314, text: 'USIM busy' }],
    ['+CMS ERROR: no CNMA acknowledgement expected', {
      kind: 'cms', code: 340, text: 'no CNMA acknowledgement expected',
    }],
  ])('%j', (line, expected) => {
    expect(parseFinalResult(line)).toEqual(expected);
  });

  it.each(['ok', 'OKAY', 'RING', '+CMTI: "SM",3', '+CME ERRORS: 3', '0', '4', 'AT', ''])(
    'is null for %j',
    (line) => {
      expect(parseFinalResult(line)).toBeNull();
    },
  );

  it('accepts the V.250 numeric results 0 and 4 only with { numeric: true }', () => {
    expect(parseFinalResult('0', { numeric: true })).toEqual({ kind: 'ok' });
    expect(parseFinalResult('4', { numeric: true })).toEqual({ kind: 'error', text: '4' });
    expect(parseFinalResult('3', { numeric: true })).toBeNull();
    expect(parseFinalResult('OK', { numeric: true })).toEqual({ kind: 'ok' });
  });

  it('maps the CME codes TS 27.007 §9.2 lists to their texts and back', () => {
    const expected: Record<number, string> = {
      10: 'SIM not inserted', 11: 'SIM PIN required', 12: 'SIM PUK required', 13: 'SIM failure',
      14: 'SIM busy', 15: 'SIM wrong', 16: 'incorrect password', 17: 'SIM PIN2 required',
      18: 'SIM PUK2 required', 30: 'no network service', 100: 'unknown',
    };
    for (const [code, text] of Object.entries(expected)) {
      expect(CME_ERROR_TEXTS[Number(code)]).toBe(text);
    }
    for (const [code, text] of Object.entries(CME_ERROR_TEXTS)) {
      expect(parseFinalResult(`+CME ERROR: ${text.toUpperCase()}`)).toEqual({
        kind: 'cme', code: Number(code), text: text.toUpperCase(),
      });
    }
  });

  it('maps the CMS codes TS 27.005 §3.2.5 lists to their texts and back', () => {
    const expected: Record<number, string> = {
      300: 'ME failure', 301: 'SMS service of ME reserved', 302: 'operation not allowed',
      303: 'operation not supported', 304: 'invalid PDU mode parameter',
      305: 'invalid text mode parameter', 310: '(U)SIM not inserted', 311: '(U)SIM PIN required',
      313: '(U)SIM failure', 314: '(U)SIM busy', 320: 'memory failure',
      321: 'invalid memory index', 322: 'memory full', 330: 'SMSC address unknown',
      331: 'no network service', 332: 'network timeout',
      340: 'no +CNMA acknowledgement expected', 500: 'unknown error',
    };
    for (const [code, text] of Object.entries(expected)) {
      expect(CMS_ERROR_TEXTS[Number(code)]).toBe(text);
    }
    for (const [code, text] of Object.entries(CMS_ERROR_TEXTS)) {
      expect(parseFinalResult(`+CMS ERROR: ${text}`)).toMatchObject({
        kind: 'cms', code: Number(code),
      });
    }
    expect(parseFinalResult('+CMS ERROR: not supported')).toMatchObject({ code: 303 });
    expect(parseFinalResult('+CMS ERROR: SIM not inserted')).toMatchObject({ code: 310 });
  });
});

describe('parseUrcHeader', () => {
  it.each<[string, UrcHeader]>([
    ['+CMTI: "SM",3', { kind: 'cmti', mem: 'SM', index: 3 }],
    ['+CMTI: "ME",0', { kind: 'cmti', mem: 'ME', index: 0 }], // index 0 exists (gammu#550)
    ['+CMT: ,23', { kind: 'cmt', alpha: null, length: 23, expectsPduLine: true }],
    ['+CMT: "alpha",23', { kind: 'cmt', alpha: 'alpha', length: 23, expectsPduLine: true }],
    ['+CMT: "a,b",140', { kind: 'cmt', alpha: 'a,b', length: 140, expectsPduLine: true }],
    ['+CDS: 25', { kind: 'cds', length: 25, expectsPduLine: true }],
    ['+CDSI: "SR",1', { kind: 'cdsi', mem: 'SR', index: 1 }],
    ['RING', { kind: 'ring', type: null }],
    ['+CRING: VOICE', { kind: 'ring', type: 'VOICE' }],
    ['+CLIP: "+491711234567",145,,,,0', {
      kind: 'generic', name: '+CLIP', text: '"+491711234567",145,,,,0',
    }],
    ['RDY', { kind: 'banner', text: 'RDY' }],
    ['Call Ready', { kind: 'banner', text: 'Call Ready' }],
    ['SMS Ready', { kind: 'banner', text: 'SMS Ready' }],
    ['+PBREADY', { kind: 'banner', text: '+PBREADY' }],
    ['^BOOT:20291924,0,0,0,75', { kind: 'generic', name: '^BOOT', text: '20291924,0,0,0,75' }],
    ['^MODE:5,4', { kind: 'generic', name: '^MODE', text: '5,4' }],
    ['+QIND: SMS DONE', { kind: 'generic', name: '+QIND', text: 'SMS DONE' }],
    ['+CFUN: 1', { kind: 'cfun', fun: 1 }],
    ['+CPIN: READY', { kind: 'cpin', code: 'READY' }],
    ['+CPIN: SIM PIN', { kind: 'cpin', code: 'SIM PIN' }],
    ['^SIMST: 1', { kind: 'simst', state: 1 }],
    ['^SIMST: 255,0', { kind: 'simst', state: 255 }],
    ['^RSSI: 12', { kind: 'rssi', rssi: 12, dbm: -89 }],
    ['^RSSI:99', { kind: 'rssi', rssi: 99, dbm: null }],
    ['+XYZ: 1,"a"', { kind: 'unknown', name: '+XYZ', text: '1,"a"' }],
    ['^NEWTHING', { kind: 'unknown', name: '^NEWTHING', text: '' }],
    ['  +CMTI: "SM",4  ', { kind: 'cmti', mem: 'SM', index: 4 }],
  ])('%j', (line, expected) => {
    expect(parseUrcHeader(line)).toEqual(expected);
  });

  it.each(['OK', 'NO CARRIER', '+CME ERROR: 10', '+CMS ERROR: 500', 'AT+CMGS=23', '> ',
    '07911326040000F0040B91', '+FOO', 'Call Ready now', ''])('is null for %j', (line) => {
    expect(parseUrcHeader(line)).toBeNull();
  });

  it.each<[string, string, number]>([
    ['+CMTI: "SM"', '+CMTI', 11], // <index> missing: offset = end of line
    ['+CMTI: "SM",x', '+CMTI', 12],
    ['+CMTI: ,3', '+CMTI', 7], // <mem> empty
    ['+CMTI: "SM,3', '+CMTI', 7], // unbalanced quote
    ['+CMT: ,abc', '+CMT', 7],
    ['+CMT: ,0', '+CMT', 7],
    ['+CMT: "+4917",,"24/01/01,10:00:00+04"', '+CMT', 15], // text mode is not supported
    ['+CDS: 6,12,"+4917"', '+CDS', 8],
    ['+CREG: 1,"XYZ"', '+CREG', 9], // <lac> not hex: offset of its opening quote
    ['+CEREG: x', '+CEREG', 8],
    ['+CFUN: on', '+CFUN', 7],
    ['^RSSI: ', '^RSSI', 6], // missing: offset = end of the trimmed line
  ])('throws for %j', (line, field, offset) => {
    expectParseError(() => parseUrcHeader(line), field, offset);
  });
});

describe('framer and parsers on a transcript', () => {
  it('classifies an EC25 session: +CMTI mid-command, then a +CMT with its PDU', () => {
    const transcript =
      'AT+CSQ\r' + // echo
      '\r\n+CSQ: 18,99\r\n' + // response to AT+CSQ
      '\r\n+CMTI: "ME",0\r\n' + // URC before the final result
      '\r\nOK\r\n' +
      '\r\n+CMT: ,23\r\n07911326040000F0040B916407281553F800009930925161958004D4F29C0E\r\n';
    const lines = lineTexts(frameChunks([bytes(transcript)]).frames);
    const kinds = lines.map((l) => parseFinalResult(l)?.kind ?? parseUrcHeader(l)?.kind ?? 'text');
    // The +CSQ response is "unknown" to the URC parser: the channel, waiting for +CSQ, owns it.
    expect(kinds).toEqual(['text', 'unknown', 'cmti', 'ok', 'cmt', 'text']);
    expect(parseCsq(lines[1] ?? '')).toEqual({ rssi: 18, ber: 99, dbm: -77 });
  });
});

describe('random input', () => {
  // Pieces of AT syntax mixed with random bytes, so that the parsers see near-valid lines. Line
  // starts come with a line end in front so that they often begin a line.
  const STARTS = [
    '+CMTI: ', '+CMT: ', '+CDS: ', '+CDSI: ', '+CREG: ', '+CGREG: ', '+CEREG: ', '+CFUN: ',
    '+CPIN: ', '^RSSI: ', '^SIMST: ', '^BOOT:', '+CSQ: ', '+CPMS: ', '+CME ERROR: ',
    '+CMS ERROR: ', 'OK', 'ERROR', 'RING', '> ',
  ].map((start) => `\r\n${start}`);
  const BODY = [
    '"', '"', ',', ',', '(', ')', '-', '0', '1', '23', '99', '1234567890123', 'SM', 'A1',
    'SIM PIN required', ' ', '\r', '\n', '\0',
  ];
  const nextPiece = (random: () => number): string => {
    const r = random();
    if (r < 0.2) return STARTS[randomInt(random, 0, STARTS.length - 1)] ?? '';
    if (r < 0.8) return BODY[randomInt(random, 0, BODY.length - 1)] ?? '';
    return String.fromCharCode(randomInt(random, 0, 255));
  };

  it('lets 20,000 random chunks through the framer and every parser throw only DecodeError', () => {
    const random = seededRandom(2024);
    const framer = new AtLineFramer({ maxLineBytes: 256 });
    const counts = { lines: 0, decodeErrors: 0, finals: 0, urcs: 0, ranges: 0 };
    const foreign: string[] = [];
    const attempt = (line: string, fn: () => unknown): unknown => {
      try {
        return fn();
      } catch (error) {
        if (!(error instanceof DecodeError) || error.code !== 'GW_ERR_AT_PARSE') {
          foreign.push(`${JSON.stringify(line)}: ${String(error)}`);
        } else if (!(error.offset >= 0 && error.offset <= line.length)) {
          foreign.push(`${JSON.stringify(line)}: offset ${error.offset} out of range`);
        } else {
          counts.decodeErrors++;
        }
        return undefined;
      }
    };
    for (let n = 0; n < 20_000; n++) {
      let chunk = '';
      const pieces = randomInt(random, 1, 12);
      for (let p = 0; p < pieces; p++) chunk += nextPiece(random);
      for (const frame of framer.push(bytes(chunk))) {
        if (frame.kind !== 'line') continue;
        const line = frame.text;
        counts.lines++;
        const prefix = /^[+^][A-Z]+/.exec(line)?.[0] ?? '+CPMS';
        if (attempt(line, () => parseFinalResult(line)) != null) counts.finals++;
        attempt(line, () => parseFinalResult(line, { numeric: true }));
        if (attempt(line, () => parseUrcHeader(line)) != null) counts.urcs++;
        attempt(line, () => parseInformationLine(line, prefix));
        attempt(line, () => parseRegistrationState(line, 'urc'));
        attempt(line, () => parseRegistrationState(line, 'response'));
        attempt(line, () => parseCsq(line));
        if (attempt(line, () => parseRangeList(line.slice(line.indexOf(':') + 1))) !== undefined) {
          counts.ranges++;
        }
        attempt(line, () => csqToDbm(line.length));
      }
    }
    expect(foreign).toEqual([]);
    // The input must reach the interesting paths, or this test proves nothing.
    expect(counts.lines).toBeGreaterThan(20_000);
    expect(counts.decodeErrors).toBeGreaterThan(5_000);
    expect(counts.finals).toBeGreaterThan(1_000);
    expect(counts.urcs).toBeGreaterThan(2_000);
    expect(counts.ranges).toBeGreaterThan(1_000);
  });
});
