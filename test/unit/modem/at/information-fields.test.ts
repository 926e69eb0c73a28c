import { describe, expect, it } from 'vitest';
import {
  parseInformationLine,
  parseRangeList,
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
  it.each([
    ['(0-3)', { kind: 'numbers', values: [0, 1, 2, 3] }],
    ['(0,2)', { kind: 'numbers', values: [0, 2] }],
    ['0-2', { kind: 'numbers', values: [0, 1, 2] }],
    ['(1,4-5,9)', { kind: 'numbers', values: [1, 4, 5, 9] }],
    ['( 2 , 0-1 ,2 )', { kind: 'numbers', values: [0, 1, 2] }],
    ['(0)', { kind: 'numbers', values: [0] }],
    ['()', { kind: 'numbers', values: [] }],
    ['', { kind: 'numbers', values: [] }],
    ['("SM","ME")', { kind: 'strings', values: ['SM', 'ME'] }],
    ['("SM","ME","SR")', { kind: 'strings', values: ['SM', 'ME', 'SR'] }],
    ['("")', { kind: 'strings', values: [''] }],
  ])('%j', (text, expected) => {
    expect(parseRangeList(text)).toEqual(expected);
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
    ['(0-99999)', 1], // more than MAX_RANGE_VALUES
  ])('throws for %j at offset %i', (text, offset) => {
    expectParseError(() => parseRangeList(text, '+CNMI'), '+CNMI', offset);
  });

  it('reads every group of a +CNMI test response', () => {
    const groups = parseInformationLine('+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)', '+CNMI') ?? [];
    expect(groups.map((g) => parseRangeList(g, '+CNMI').values)).toEqual([
      [0, 1, 2], [0, 1, 2, 3], [0, 2], [0, 1, 2], [0, 1],
    ]);
  });
});
