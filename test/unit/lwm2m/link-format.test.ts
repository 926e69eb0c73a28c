/**
 * CoRE Link Format (RFC 6690 §2) as LwM2M clients really send it, the LwM2M view of it, and
 * every rejection with its field and offset (string index for text, byte offset for bytes).
 */
import { describe, expect, it } from 'vitest';
import { lwm2mObjectLinks, parseLinkFormat, parseLinkFormatBytes, type Link } from '../../../src/lwm2m/index.ts';
import { expectDecodeError, wire } from './lwm2m-test-helpers.ts';

const link = (target: string, params: Record<string, string | true> = {}): Link => ({ target, params });
const obj = (objectId: number, instanceId: number | null = null, version: string | null = null) => ({ objectId, instanceId, version });

/** Payloads in the form real clients send them. */
const LESHAN_1_1 = '</>;ct="60 110 112 11542 11543";rt="oma.lwm2m",</1>;ver=1.1,</1/0>,</3>;ver=1.1,</3/0>,</6/0>,</3303>;ver=1.1,</3303/0>';
/** Leshan's demo client before eclipse-leshan/leshan#1020 was fixed: the ct list unquoted. */
const LESHAN_1_1_UNQUOTED_CT = '</>;ct=60 110 112 11542 11543;rt="oma.lwm2m",</1>;ver=1.1,</1/0>,</3>;ver=1.1,</3/0>,</6/0>,</3303>;ver=1.1,</3303/0>';
/** Wakaama with JSON support: REG_LWM2M_RESOURCE_TYPE ">;rt=\"oma.lwm2m\";ct=11543," then "</n/i>," links. */
const WAKAAMA = '</>;rt="oma.lwm2m";ct=11543,</1/0>,</2/0>,</3/0>,</4/0>,</5/0>,</6/0>,</7/0>,</31024/10>,</31024/11>,</31024/12>';
/** Wakaama with an alternate path: every link under it. */
const WAKAAMA_ALT_PATH = '</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>,</lwm2m/3/0>';
/** Anjay-style 1.1: object versions, several instances, no rt. */
const ANJAY = '</1>;ver=1.1,</1/1>,</3/0>,</3303>;ver=1.1,</3303/0>,</3303/1>';

const LESHAN_LINKS: Link[] = [
  link('/', { ct: '60 110 112 11542 11543', rt: 'oma.lwm2m' }),
  link('/1', { ver: '1.1' }),
  link('/1/0'),
  link('/3', { ver: '1.1' }),
  link('/3/0'),
  link('/6/0'),
  link('/3303', { ver: '1.1' }),
  link('/3303/0'),
];

describe('parseLinkFormat: payloads of real clients', () => {
  it('Leshan 1.1 client (quoted multi-value ct)', () => {
    expect(parseLinkFormat(LESHAN_1_1)).toStrictEqual(LESHAN_LINKS);
  });

  it('Leshan before #1020: an unquoted cardinal list reads the same as the quoted one', () => {
    expect(parseLinkFormat(LESHAN_1_1_UNQUOTED_CT)).toStrictEqual(LESHAN_LINKS);
  });

  it('Wakaama, with and without an alternate path', () => {
    const links = parseLinkFormat(WAKAAMA);
    expect(links[0]).toStrictEqual(link('/', { rt: 'oma.lwm2m', ct: '11543' }));
    expect(links.map((l) => l.target)).toStrictEqual(['/', '/1/0', '/2/0', '/3/0', '/4/0', '/5/0', '/6/0', '/7/0', '/31024/10', '/31024/11', '/31024/12']);
    expect(parseLinkFormat(WAKAAMA_ALT_PATH)).toStrictEqual([link('/lwm2m', { rt: 'oma.lwm2m' }), link('/lwm2m/1/0'), link('/lwm2m/3/0')]);
  });

  it('Anjay style and the brief example with a ver on an instance link', () => {
    expect(parseLinkFormat(ANJAY)).toStrictEqual([
      link('/1', { ver: '1.1' }),
      link('/1/1'),
      link('/3/0'),
      link('/3303', { ver: '1.1' }),
      link('/3303/0'),
      link('/3303/1'),
    ]);
    expect(parseLinkFormat('</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3303/0>;ver=1.1')).toStrictEqual([
      link('/', { rt: 'oma.lwm2m', ct: '11543' }),
      link('/1/0'),
      link('/3/0'),
      link('/3303/0', { ver: '1.1' }),
    ]);
  });
});

describe('parseLinkFormat: tolerance', () => {
  it.each([
    ['spaces after commas (OMA examples)', '</1>, </2>', [link('/1'), link('/2')]],
    ['spaces around ";" and "="', '</3> ; ver = 1.1 ;ct=40', [link('/3', { ver: '1.1', ct: '40' })]],
    ['CRLF between links and a trailing comma', '</1/0>,\r\n</3/0>,\r\n', [link('/1/0'), link('/3/0')]],
    ['a trailing comma', '</1/0>,</3/0>,</5>,', [link('/1/0'), link('/3/0'), link('/5')]],
    ['leading and trailing whitespace', ' \t</1/0> \n', [link('/1/0')]],
    ['quoted and unquoted ct', '</a>;ct="40",</b>;ct=40', [link('/a', { ct: '40' }), link('/b', { ct: '40' })]],
    ['a valueless parameter', '</3/0>;obs', [link('/3/0', { obs: true })]],
    ['a quoted string with commas, semicolons and escapes', '</x>;title="a \\"b\\", c;d"', [link('/x', { title: 'a "b", c;d' })]],
    ['UTF-8 text in a quoted value', '</x>;title="Grüße"', [link('/x', { title: 'Grüße' })]],
    ['an empty quoted value', '</x>;title=""', [link('/x', { title: '' })]],
    ['a repeated parameter: the first counts (leshan#1229)', '</>;ct=110;ct=112', [link('/', { ct: '110' })]],
    ['an empty target', '<>;rt="x"', [link('', { rt: 'x' })]],
    ['an absolute URI target', '<coap://[2001:db8::1]:5683/1/0>', [link('coap://[2001:db8::1]:5683/1/0')]],
    ['a title* ext-value', "</x>;title*=UTF-8'de'n%c3%a4chstes", [link('/x', { 'title*': "UTF-8'de'n%c3%a4chstes" })]],
    ['a single cardinal followed by a parameter', '</>;ct=40 ;rt=x', [link('/', { ct: '40', rt: 'x' })]],
  ])('%s', (_label, text, expected) => {
    expect(parseLinkFormat(text)).toStrictEqual(expected);
  });

  it('empty and all-whitespace text is an empty list', () => {
    expect(parseLinkFormat('')).toStrictEqual([]);
    expect(parseLinkFormat(' \r\n')).toStrictEqual([]);
    expect(parseLinkFormatBytes(new Uint8Array(0))).toStrictEqual([]);
  });

  it('a parameter named __proto__ is plain data, not a prototype', () => {
    const [first] = parseLinkFormat('</1>;__proto__=x;constructor');
    expect(Object.keys(first?.params ?? {})).toStrictEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(first?.params)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(first?.params, '__proto__')?.value).toBe('x');
  });
});

describe('parseLinkFormat: errors (GW_ERR_LINK_FORMAT, offset = string index)', () => {
  it.each([
    ['an unterminated "<" at the end', '</1/0', 'URI-Reference', 0],
    ['an unterminated "<" before the next link', '</1/0,</3/0>', 'URI-Reference', 0],
    ['an unterminated "<" in the second link', '</1/0>,</3/0', 'URI-Reference', 7],
    ['a space inside a target', '</lwm2m /1/0>', 'URI-Reference', 7],
    ['a quote inside a target', '</a"b>', 'URI-Reference', 3],
    ['an unterminated quote', '</1>;rt="oma.lwm2m', 'quoted-string', 8],
    ['an escape at the very end', '</1>;rt="a\\', 'quoted-string', 8],
    ['text that is no link', '1/0', 'link-value', 0],
    ['a leading comma', ',</1>', 'link-value', 0],
    ['an empty element between commas', '</1>,,</2>', 'link-value', 5],
    ['garbage after a link', '</1> x', 'link-value', 5],
    ['garbage after a quoted value', '</1>;ct="40"x', 'link-value', 12],
    ['a quote after an unquoted value', '</1>;rt=a"b"', 'link-value', 9],
    ['a second token that is not a cardinal list', '</1>;ct=40 4x', 'link-value', 11],
    ['a version followed by another', '</1>;ver=1.1 1.2', 'link-value', 13],
    ['a parameter name with a space', '</1>;a b', 'link-value', 7],
    ['a NUL after a value', '</1>;ct=40\u0000', 'link-value', 10],
    ['a ";" with no parameter', '</1>;', 'link-param', 5],
    ['two ";"', '</1>;;ver=1', 'link-param', 5],
    ['a parameter without a name', '</1>;=40', 'link-param', 5],
    ['"=" with no value at the end', '</1>;ct=', 'ptoken', 8],
    ['"=" with no value before a comma', '</1>;ct=,</2>', 'ptoken', 8],
  ])('%s: %j → %s at %i', (_label, text, field, offset) => {
    expectDecodeError(() => parseLinkFormat(text), 'GW_ERR_LINK_FORMAT', field, offset);
  });
});

describe('parseLinkFormatBytes: strict UTF-8 and byte offsets', () => {
  const utf8 = (text: string) => new TextEncoder().encode(text);

  it('parses the same links as the text', () => {
    expect(parseLinkFormatBytes(utf8(LESHAN_1_1))).toStrictEqual(LESHAN_LINKS);
  });

  it('skips a leading byte-order mark and still counts its 3 bytes in error offsets', () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf); // U+FEFF in UTF-8
    const withBom = (text: string): Uint8Array => Uint8Array.from([...bom, ...utf8(text)]);
    expect(parseLinkFormatBytes(withBom(LESHAN_1_1))).toStrictEqual(LESHAN_LINKS);
    // BOM 0..2, '</1/0>' 3..8, ',' 9: the "x" is at byte 10
    expectDecodeError(() => parseLinkFormatBytes(withBom('</1/0>,x')), 'GW_ERR_LINK_FORMAT', 'link-value', 10);
    // Only a leading one: a second U+FEFF is text, where a link must start
    expectDecodeError(() => parseLinkFormatBytes(Uint8Array.from([...bom, ...withBom('</1/0>')])), 'GW_ERR_LINK_FORMAT', 'link-value', 3);
  });

  it('reports byte offsets, not string indexes, after multi-byte characters', () => {
    // '<' 0, '/' 1, 'é' 2..3, '>' 4, ';' 5, 'ct=' 6..8: the missing value is at byte 9 (index 8)
    expectDecodeError(() => parseLinkFormatBytes(utf8('</é>;ct=')), 'GW_ERR_LINK_FORMAT', 'ptoken', 9);
    expectDecodeError(() => parseLinkFormat('</é>;ct='), 'GW_ERR_LINK_FORMAT', 'ptoken', 8);
    // '😀' is 4 bytes (2 UTF-16 units) in a quoted value: the "x" after it is at byte 17
    expectDecodeError(() => parseLinkFormatBytes(utf8('</1>;title="😀"x')), 'GW_ERR_LINK_FORMAT', 'link-value', 17);
  });

  it.each([
    ['a lone continuation byte', [0x80], 4],
    ['an invalid lead byte 0xFF', [0xff], 4],
    ['C3 followed by an ASCII byte', [0xc3, 0x28], 4],
    ['an overlong "/" (C0 AF)', [0xc0, 0xaf], 4],
    ['an overlong 3-byte form (E0 80 AF)', [0xe0, 0x80, 0xaf], 4],
    ['a UTF-16 surrogate (ED A0 80)', [0xed, 0xa0, 0x80], 4],
    ['above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80], 4],
    ['a truncated 3-byte sequence at the end', [0xe2, 0x82], 4],
  ])('%s: UTF-8 at the byte where the sequence starts', (_label, bad, offset) => {
    expectDecodeError(() => parseLinkFormatBytes(wire('</1>', bad, ',</2>')), 'GW_ERR_LINK_FORMAT', 'UTF-8', offset);
  });

  it('accepts the largest scalar values of each length', () => {
    const text = '</x>;title="\u007f\u07ff\uffff\u{10ffff}"';
    expect(parseLinkFormatBytes(utf8(text))).toStrictEqual(parseLinkFormat(text));
  });
});

describe('lwm2mObjectLinks', () => {
  it('Leshan: root "/" from rt="oma.lwm2m", object and instance links with versions', () => {
    expect(lwm2mObjectLinks(parseLinkFormat(LESHAN_1_1))).toStrictEqual({
      rootPath: '/',
      objects: [obj(1, null, '1.1'), obj(1, 0), obj(3, null, '1.1'), obj(3, 0), obj(6, 0), obj(3303, null, '1.1'), obj(3303, 0)],
    });
  });

  it('Wakaama alternate path: links are read under /lwm2m', () => {
    expect(lwm2mObjectLinks(parseLinkFormat(WAKAAMA_ALT_PATH))).toStrictEqual({ rootPath: '/lwm2m', objects: [obj(1, 0), obj(3, 0)] });
    // A link outside the alternate path is not an object of this client.
    expect(lwm2mObjectLinks(parseLinkFormat('</lwm2m>;rt="oma.lwm2m",</1/0>,</lwm2m/3/0>')).objects).toStrictEqual([obj(3, 0)]);
  });

  it('without rt="oma.lwm2m" the root is null and "</>;ct=..." is not an object', () => {
    expect(lwm2mObjectLinks(parseLinkFormat('</>;ct=11543,</1/1>,</3/0>'))).toStrictEqual({ rootPath: null, objects: [obj(1, 1), obj(3, 0)] });
    expect(lwm2mObjectLinks(parseLinkFormat(ANJAY)).objects).toHaveLength(6);
  });

  it('rt is a space-separated list; a trailing slash on the root is ignored', () => {
    expect(lwm2mObjectLinks(parseLinkFormat('</rd/>;rt="core.rd oma.lwm2m",</rd/3/0>')).objects).toStrictEqual([obj(3, 0)]);
    expect(lwm2mObjectLinks(parseLinkFormat('</x>;rt="oma.lwm2m.other",</3/0>')).rootPath).toBeNull();
  });

  it('ignores resources, non-canonical or out-of-range ids, relative targets, and valueless ver', () => {
    const links = parseLinkFormat('</3/0/1>,</01>,</1/00>,</65536>,</3/65536>,</a/b>,<1/0>,</65535/65535>,</0/1>,</4>;ver');
    expect(lwm2mObjectLinks(links)).toStrictEqual({ rootPath: null, objects: [obj(65535, 65535), obj(0, 1), obj(4)] });
  });

  it('an empty payload has no objects', () => {
    expect(lwm2mObjectLinks([])).toStrictEqual({ rootPath: null, objects: [] });
  });
});
