/**
 * Linear time for the link-format parser on any input, shown without a clock: the parser counts
 * every character it reads (`linkFormatReads`), and for a fragment repeated n and 2n times the
 * count may at most double (plus a constant). A quadratic parser reads 4 times as much. The
 * wall-clock figures are in `npm run bench:parser-linearity`.
 */
import { describe, expect, it } from 'vitest';
import { linkFormatReads, lwm2mObjectLinks, parseLinkFormat } from '../../../src/lwm2m/index.ts';
import { DecodeError } from '../../../src/shared/errors.ts';
import { randomInt, seededRandom } from './lwm2m-test-helpers.ts';

/** Reads for n and 2n repetitions of `fragment` between `head` and `tail`. */
function readsAt(head: string, fragment: string, tail: string, n: number): [number, number] {
  return [linkFormatReads(head + fragment.repeat(n) + tail), linkFormatReads(head + fragment.repeat(2 * n) + tail)];
}

function expectLinear(head: string, fragment: string, tail: string): void {
  const n = 2000;
  const [once, twice] = readsAt(head, fragment, tail, n);
  const length = head.length + fragment.length * 2 * n + tail.length;
  const label = JSON.stringify([head, fragment, tail]);
  expect(twice, label).toBeLessThanOrEqual(2 * once + 64);
  expect(twice, label).toBeLessThanOrEqual(4 * length + 64); // a few reads per character at most
}

describe('link-format: linear on any input', () => {
  it('parses the input that took 2.0 s (< + 60,000 "/" + a>), also as the root link, in a number of reads proportional to its length', () => {
    const text = `<${'/'.repeat(60_000)}a>`;
    expect(parseLinkFormat(text)).toEqual([{ target: `${'/'.repeat(60_000)}a`, params: {} }]);
    const root = `${text};rt="oma.lwm2m",<${'/'.repeat(60_000)}a/3/0>`;
    const links = lwm2mObjectLinks(parseLinkFormat(root));
    expect(links.rootPath).toBe(`${'/'.repeat(60_000)}a`);
    expect(links.objects).toEqual([{ objectId: 3, instanceId: 0, version: null }]);
    expect(linkFormatReads(text)).toBeLessThanOrEqual(2 * text.length + 8);
  });

  it('reads at most twice as much for twice the input: slashes, cardinal lists, quotes, spaces, params, unterminated links', () => {
    const families: [string, string, string][] = [
      ['<', '/', 'a>'],
      ['<', '/', 'a>;rt="oma.lwm2m"'],
      ['</1>;ct=', '1 ', 'x'], // a cardinal list that turns out not to be one at the end
      ['</1>;ct=', '1 ', '1'],
      ['</1>;ct=1', ' ', '2'],
      ['</1>;t="', 'a\\"', '"'],
      ['</1>;t="', 'a', ''], // unterminated quote
      ['', '</1>,', ''],
      ['', '</1>;a;b=1', ''],
      ['</1>', ' ', 'x'],
      ['', '<', ''],
      ['', '</1', ''],
      ['</1>', ';', ''],
    ];
    for (const [head, fragment, tail] of families) expectLinear(head, fragment, tail);
  });

  it('stays linear for random fragments of link-format syntax (seeded), and only ever throws DecodeError', () => {
    const random = seededRandom(0x5eed_0905);
    const pieces = ['<', '>', '/', '1', '0', ';', '=', '"', '\\', ' ', ',', 'a', 'rt=', 'ct=', 'oma.lwm2m', '\t', '\u00e9'];
    for (let round = 0; round < 300; round++) {
      const pick = (count: number): string => Array.from({ length: count }, () => pieces[randomInt(random, 0, pieces.length - 1)]).join('');
      const head = pick(randomInt(random, 0, 4));
      const fragment = pick(randomInt(random, 1, 5));
      const tail = pick(randomInt(random, 0, 4));
      expectLinear(head, fragment, tail);
      try {
        lwm2mObjectLinks(parseLinkFormat(head + fragment.repeat(500) + tail));
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError);
      }
    }
  });
});
