import { describe, expect, it } from 'vitest';
import {
  parseInformationLine,
  parseRangeList,
  rangeListIncludes,
} from '../../../../src/modem/at/information-fields.ts';
import { expectParseError } from './at-test-helpers.ts';

describe('parseInformationLine', () => {
  it.each<[string, string, string[] | null]>([
    ['+CPMS: "SM",3,30,"SM",3,30', '+CPMS', ['SM', '3', '30', 'SM', '3', '30']],
    ['+CPMS: ("SM","ME"),("SM","ME"),("SM")', '+CPMS', ['("SM","ME")', '("SM","ME")', '("SM")']],
    ['+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)', '+CNMI',
      ['(0-2)', '(0-3)', '(0,2)', '(0-2)', '(0,1)']],
    ['+CIND: ("battchg",(0-5)),("signal",(0-5))', '+CIND',
      ['("battchg",(0-5))', '("signal",(0-5))']], // nested groups
    ['+COPS: 0,0,"Vodafone, DE",7', '+COPS', ['0', '0', 'Vodafone, DE', '7']],
    ['+CMGL: 1,0,,23', '+CMGL', ['1', '0', '', '23']],
    ['+CSCA: "+491710760000" , 145', '+CSCA', ['+491710760000', '145']],
    ['+CPIN: SIM PIN', '+CPIN', ['SIM PIN']],
    ['+CGSN:', '+CGSN', []],
    ['+CMGS:12', '+CMGS', ['12']],
    ['+CPMSX: 1', '+CPMS', null],
    ['+CPMS 1', '+CPMS', null],
    ['+CSQ: 1,2', '+CPMS', null],
    ['OK', '', null],
  ])('%j with prefix %j', (line, prefix, expected) => {
    expect(parseInformationLine(line, prefix)).toEqual(expected);
  });

  it.each<[string, number]>([
    ['+CPMS: "SM,3,30', 7], // unbalanced quote: offset of the opening quote
    ['+CPMS: ("SM","ME",("SM")', 7], // unbalanced "(": offset of the opening parenthesis
    ['+CPMS: "SM"),3', 11], // stray ")" after a quoted string
    ['+CPMS: 3),4', 8], // stray ")" in a plain field
    ['+CPMS: ("SM)', 8], // quote opened inside a group never closes
    ['+CPMS: "SM"x,3', 11], // text after the closing quote
    ['+CPMS: S"M",3', 8], // quote inside an unquoted field
    ['+CPMS: a(1)', 8],
  ])('throws GW_ERR_AT_PARSE for %j at offset %i', (line, offset) => {
    expectParseError(() => parseInformationLine(line, '+CPMS'), '+CPMS', offset);
  });
});

describe('parseRangeList', () => {
  const r = (lo: number, hi = lo): { lo: number; hi: number } => ({ lo, hi });
  it.each([
    ['(0-3)', { kind: 'numbers', ranges: [r(0, 3)] }],
    ['(0,2)', { kind: 'numbers', ranges: [r(0), r(2)] }],
    ['0-2', { kind: 'numbers', ranges: [r(0, 2)] }],
    ['(1,4-5,9)', { kind: 'numbers', ranges: [r(1), r(4, 5), r(9)] }],
    ['( 2 , 0-1 ,2 )', { kind: 'numbers', ranges: [r(0, 2)] }],
    ['(0-3,2,5-6,7)', { kind: 'numbers', ranges: [r(0, 3), r(5, 7)] }],
    ['(0)', { kind: 'numbers', ranges: [r(0)] }],
    ['()', { kind: 'numbers', ranges: [] }],
    ['', { kind: 'numbers', ranges: [] }],
    ['("SM","ME")', { kind: 'strings', values: ['SM', 'ME'] }],
    ['("SM","ME","SR")', { kind: 'strings', values: ['SM', 'ME', 'SR'] }],
    ['("")', { kind: 'strings', values: [''] }],
  ])('%j', (text, expected) => {
    expect(parseRangeList(text)).toEqual(expected);
  });

  it('keeps a wide range as one range, linear in the text, not in the range (the fuzz input 23-65535 took 9.6 ms)', () => {
    // Before: every value was expanded into a Set (65,513 numbers for 23-65535), and a range
    // wider than 65,536 values was refused as garbage although V.250 allows it.
    expect(parseRangeList('23-65535')).toEqual({ kind: 'numbers', ranges: [r(23, 65535)] });
    const wide = parseRangeList('(0-999999999)', '+CMGD');
    expect(wide).toEqual({ kind: 'numbers', ranges: [r(0, 999_999_999)] });
    expect(rangeListIncludes(wide, 999_999_999)).toBe(true);
    expect(rangeListIncludes(wide, 1_000_000_000)).toBe(false);
    expect(rangeListIncludes(parseRangeList('(0,2)'), 1)).toBe(false);
    expect(rangeListIncludes(parseRangeList('("SM")'), 0)).toBe(false);
  });

  it.each<[string, number]>([
    ['(3-1)', 1], // descending range
    ['(0,"SM")', 3], // numbers mixed with strings
    ['("SM",0)', 6],
    ['(a)', 1],
    ['((0))', 1], // nested group
    ['(0-1),(2)', 5], // two groups
    ['(0,,2)', 3], // empty item
    ['(0', 0],
    ['0)', 1],
  ])('throws for %j at offset %i', (text, offset) => {
    expectParseError(() => parseRangeList(text, '+CNMI'), '+CNMI', offset);
  });

  it('reads every group of a +CNMI test response', () => {
    const groups = parseInformationLine('+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)', '+CNMI') ?? [];
    expect(groups.map((g) => parseRangeList(g, '+CNMI'))).toEqual([
      [r(0, 2)], [r(0, 3)], [r(0), r(2)], [r(0, 2)], [r(0, 1)],
    ].map((ranges) => ({ kind: 'numbers', ranges })));
  });
});
