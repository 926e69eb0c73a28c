/**
 * The fuzz targets of `bench/fuzz.ts`: each parser a device, a modem or an operator can feed
 * (also the admin API's write-route bodies, through the server's own check in src/admin/admin-body.ts),
 * with the valid inputs its mutations start from (the test fixtures' vectors where there are
 * some) and a generator of random inputs. Inputs are built from a seeded PRNG, so a run repeats.
 */
import { readFileSync } from 'node:fs';
import { ADMIN_BODY_RULES, parseAdminBody, type AdminBodyRule } from '../../src/admin/admin-body.ts';
import { parseConfig } from '../../src/config/index.ts';
import { CoapCode, CoapOptionNumber, coapRequest, coapResponse, decodeCoap, encodeCoap, lwm2mObjectLinks, parseLinkFormatBytes, parseRegisterQuery } from '../../src/lwm2m/index.ts';
import { parseCsq, parseFinalResult, parseInformationFields, parseRangeList, parseRegistrationState, parseUrcHeader } from '../../src/modem/at/line-parser.ts';
import { decodePdu } from '../../src/sms/index.ts';
import { bytesOf, PDU_VECTORS } from '../../test/fixtures/pdu/vectors.ts';

/** A random number in [0, 1). */
export type Random = () => number;

/** One parser under fuzz. `input` builds one input (not timed); `parse` runs it (timed). Methods, so a target of any input type is a `FuzzTarget<unknown>`. */
export interface FuzzTarget<T> {
  readonly name: string;
  input(random: Random): T;
  parse(input: T): unknown;
  /** The input as text for the report. */
  show(input: T): string;
}

const below = (random: Random, n: number): number => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[below(random, items.length)] as T;

/** Replaces, inserts, deletes, duplicates a run, or truncates, 1 to 4 times. */
export function mutateBytes(random: Random, bytes: Uint8Array): Uint8Array {
  const out = Array.from(bytes);
  for (let n = 1 + below(random, 4); n > 0; n--) {
    const at = below(random, out.length + 1);
    switch (below(random, 6)) {
      case 0: if (at < out.length) out[at] = below(random, 256); break;
      case 1: out.splice(at, 0, below(random, 256)); break;
      case 2: out.splice(at, 1 + below(random, 4)); break;
      case 3: out.length = at; break;
      case 4: if (at < out.length) out[at] = (out[at] ?? 0) ^ (1 << below(random, 8)); break; // one bit flipped
      default: out.splice(at, 0, ...out.slice(at, at + 1 + below(random, 16))); // a run repeated
    }
  }
  return Uint8Array.from(out);
}

/** The same edits on text, with `pieces` as the alphabet of inserted runs. */
export function mutateText(random: Random, text: string, pieces: readonly string[]): string {
  let out = text;
  for (let n = 1 + below(random, 4); n > 0; n--) {
    const at = below(random, out.length + 1);
    switch (below(random, 6)) {
      case 0: out = out.slice(0, at) + out.slice(at + 1 + below(random, 8)); break;
      case 1: out = out.slice(0, at) + pick(random, pieces) + out.slice(at); break;
      case 2: out = out.slice(0, at) + String.fromCharCode(below(random, 0x3000)) + out.slice(at); break;
      case 3: out = out.slice(0, at); break;
      case 4: out = out.slice(0, at) + out.slice(at, at + 1 + below(random, 32)).repeat(1 + below(random, 50)) + out.slice(at); break;
      default: out = out.slice(0, at) + pick(random, pieces).repeat(1 + below(random, 200)) + out.slice(at);
    }
  }
  return out;
}

function randomBytes(random: Random, maxLength: number): Uint8Array {
  return Uint8Array.from({ length: below(random, maxLength + 1) }, () => below(random, 256));
}

function randomText(random: Random, pieces: readonly string[], maxPieces: number): string {
  let text = '';
  for (let n = below(random, maxPieces + 1); n > 0; n--) text += random() < 0.8 ? pick(random, pieces) : String.fromCharCode(below(random, 256));
  return text;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Half random, half mutated vectors. */
function bytesTarget(name: string, vectors: readonly Uint8Array[], maxRandom: number, parse: (bytes: Uint8Array) => unknown): FuzzTarget<Uint8Array> {
  return {
    name, parse, show: hex,
    input: (random) => (random() < 0.5 ? randomBytes(random, maxRandom) : mutateBytes(random, pick(random, vectors))),
  };
}

function textTarget(name: string, vectors: readonly string[], pieces: readonly string[], maxPieces: number, parse: (text: string) => unknown): FuzzTarget<string> {
  return {
    name, parse, show: (text) => JSON.stringify(text),
    input: (random) => (random() < 0.5 ? randomText(random, pieces, maxPieces) : mutateText(random, pick(random, vectors), pieces)),
  };
}

const pduVectors = Object.values(PDU_VECTORS).map(bytesOf);
/** TS 23.040 decoder, with and without the SMSC prefix (+CMGR gives one, +CDS often none). */
const pdu = bytesTarget('pdu-decoder', pduVectors, 200, (bytes) => decodePdu(bytes, { smscPrefix: bytes.length % 2 === 0 }));

const AT_LINES = [
  '+CMTI: "SM",3', '+CMTI: "ME",12', '+CMT: ,24', '+CDS: 25', '+CDSI: "SR",1', '+CREG: 1,"1A2B","01C3D4E5",7', '+CREG: 0,1',
  '+CEREG: 2,1,"00C3","0102A3B4",7', '+CSQ: 18,99', '+CME ERROR: 10', '+CME ERROR: SIM not inserted', '+CMS ERROR: 500', 'OK', 'ERROR',
  '+CPMS: "SM",1,30,"SM",1,30,"SM",1,30', '+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")', '^SIMST: 1', '^RSSI: 17', '+CFUN: 1',
  '+CPIN: READY', '+CMGL: 1,0,,24', '+CMGR: 0,,24', '+CSCA: "+491720000000",145', '+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)', 'RDY',
];
const AT_PIECES = ['"', ',', '(', ')', '-', '0', '1', '23', '99', '65535', '1234567890123', 'SM', 'A1', ' ', ':', '+CME ERROR: ', '+CREG: ', '+CPMS: ', '\0'];
/** Every line parser the modem driver applies to a line the modem sent. */
const atLine = textTarget('at-line-parser', AT_LINES, AT_PIECES, 40, (line) => {
  const prefix = /^[+^][A-Z]+/.exec(line)?.[0] ?? '+CPMS';
  const results: unknown[] = [parseFinalResult(line), parseFinalResult(line, { numeric: true }), parseUrcHeader(line)];
  for (const parse of [
    () => parseInformationFields(line, prefix), () => parseRegistrationState(line, 'urc'), () => parseRegistrationState(line, 'response'),
    () => parseCsq(line), () => parseRangeList(line.slice(line.indexOf(':') + 1)),
  ]) results.push(parse()); // the first typed error ends the input: each parser is reached by other inputs
  return results;
});

const register = coapRequest({
  code: CoapCode.POST, messageId: 0x1201, token: Uint8Array.of(1, 2, 3, 4), path: ['rd'],
  query: ['ep=urn:imei:350000000000001', 'lt=300', 'lwm2m=1.1', 'b=UQ'], contentFormat: 40, payload: '</1/0>,</3/0>',
});
const read = coapRequest({ code: CoapCode.GET, messageId: 0x7101, token: Uint8Array.of(0x71), path: ['3', '0'] });
/** The messages of the test vectors' kind: empty ACK, RST, ping, Register, Read, 2.01 with Location-Path, 2.05 with a TLV body, Block2. */
const COAP_MESSAGES = [
  Uint8Array.of(0x60, 0x00, 0x12, 0x34), Uint8Array.of(0x70, 0x00, 0xbe, 0xef), Uint8Array.of(0x40, 0x00, 0x00, 0x01),
  encodeCoap(register), encodeCoap(read),
  encodeCoap(coapResponse(register, CoapCode.CREATED, undefined, { options: [{ number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('rd') }, { number: CoapOptionNumber.LOCATION_PATH, value: Buffer.from('5a3f') }] })),
  encodeCoap(coapResponse(read, CoapCode.CONTENT, Uint8Array.of(0xc8, 0x00, 0x14, 0x4f, 0x70, 0x65, 0x6e))),
  Uint8Array.of(0x44, 0x01, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44, 0xb1, 0x33, 0x01, 0x30, 0xd1, 0x0a, 0x16),
];
const coap = bytesTarget('coap-decoder', COAP_MESSAGES, 60, (bytes) => decodeCoap(bytes));

const LINKS = [
  '</1/0>,</3/0>', '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>;ver=1.1,</5/0>', '</rd>;rt="oma.lwm2m",</1>;ver=1.1,</3/0>,</4/0>,</3303/0;/1>',
  '<//a>', '</3/0>;title="a,b;c";anchor="/x"', '</1/0>,</3/0>,</6/0>,</3303/0>,</3303/1>,</3442/0>;ver=1.0',
];
const LINK_PIECES = ['<', '>', '/', ',', ';', '=', '"', '\\', 'rt', 'ver', 'ct', '1', '0', '3303', 'oma.lwm2m', ' ', 'a'];
/** RFC 6690 link format as a Register's payload, and the LwM2M object list read from it. */
const linkFormat = textTarget('link-format', LINKS, LINK_PIECES, 200, (text) => lwm2mObjectLinks(parseLinkFormatBytes(Buffer.from(text))));

const QUERIES = [
  'ep=urn:imei:350000000000001&lt=300&lwm2m=1.1&b=UQ', 'ep=meter-1&lt=86400&lwm2m=1.0&b=S&sms=+491701234567', 'ep=x&b=US&lwm2m=1.2&Q',
  'ep=dev%201&lt=0&pid=abc', 'lt=300&ep=a&b=U',
];
const QUERY_PIECES = ['&', '=', 'ep', 'lt', 'lwm2m', 'b', 'sms', 'pid', 'Q', 'U', 'S', '1.1', '4000000000', '+49', '%00', '\n', 'é', 'x'];
/** The Register's Uri-Query options (split at `&` here; each is one option on the wire). */
const registerQuery = textTarget('register-query', QUERIES, QUERY_PIECES, 60, (text) => parseRegisterQuery(text.split('&')));

const readConfig = (name: string): string => readFileSync(new URL(`../../config/${name}`, import.meta.url), 'utf8');
const CONFIGS = [readConfig('default.yaml'), readConfig('example-lab.yaml'), readConfig('example-production.yaml'), 'core: {host: h}\nmodems: [{name: a, path: /dev/a, pinEnv: P}]\n'];
const CONFIG_PIECES = [':', '-', '[', ']', '{', '}', '#', '&a', '*a', '!!binary', '|', '>', "'", '"', '\n', '  ', '\t', '0', '-1', '1e309', '.inf', 'null', '~', '<<', '---', 'core', 'modems', 'port', '__proto__'];
/** The YAML configuration loader (parse, schema, checks; no file or environment). */
const config = textTarget('config-loader', CONFIGS, CONFIG_PIECES, 80, (text) => parseConfig(text, { env: {}, baseDir: '/etc/smsbridge' }));

/** A random JSON value: scalars of every kind (also the routes' field names and values), arrays and objects, `depth` levels at most. */
function randomJson(random: Random, keys: readonly string[], scalars: readonly unknown[], depth: number): unknown {
  const kind = below(random, depth > 0 ? 6 : 4);
  if (kind === 0) return pick(random, scalars);
  if (kind === 1) return random() < 0.5 ? randomText(random, JSON_PIECES, 8) : 'x'.repeat(below(random, 2000));
  if (kind === 2) return [null, true, false, 0, -1, 1.5, 1e308, -0, 2 ** 53][below(random, 9)];
  if (kind === 3) return pick(random, keys);
  if (kind === 4) return Array.from({ length: below(random, 5) }, () => randomJson(random, keys, scalars, depth - 1));
  const object: Record<string, unknown> = {};
  for (let n = below(random, 5); n > 0; n--) object[random() < 0.8 ? pick(random, keys) : randomText(random, JSON_PIECES, 3)] = randomJson(random, keys, scalars, depth - 1);
  return object;
}

const JSON_PIECES = ['{', '}', '[', ']', '"', ':', ',', 'true', 'false', 'null', '0', '-1', '1e999', '0.5', '\\', '\\u0000', '\\ud800', ' ', '\n', '"__proto__"', '"constructor"', 'é', '\u2028'];
/** The configuration's default admin.bodyLimitBytes: the limit the server applies. */
const BODY_LIMIT_BYTES = (parseConfig(readConfig('default.yaml'), { env: {}, baseDir: '/etc/smsbridge' }).admin as { bodyLimitBytes: number }).bodyLimitBytes;

/** One write route's body: a third mutated valid bodies, a third random JSON values (mostly objects of the route's keys), a third random JSON-like text. */
function adminBodyTarget(name: string, rule: AdminBodyRule, seeds: readonly object[], scalars: readonly unknown[]): FuzzTarget<string> {
  const texts = seeds.map((seed) => JSON.stringify(seed));
  const keys = [...new Set(seeds.flatMap((seed) => Object.keys(seed)))];
  const pieces = [...JSON_PIECES, ...keys.map((key) => JSON.stringify(key)), ...scalars.map((value) => JSON.stringify(value))];
  return {
    name, show: (text) => JSON.stringify(text), parse: (text) => parseAdminBody(rule, text, BODY_LIMIT_BYTES),
    input: (random) => {
      const kind = random();
      if (kind < 1 / 3) return mutateText(random, pick(random, texts), pieces);
      if (kind < 2 / 3) {
        const value = random() < 0.7 ? { ...pick(random, seeds), ...(randomJson(random, keys, scalars, 1) as object) } : randomJson(random, keys, scalars, 4);
        return JSON.stringify(value) ?? 'undefined';
      }
      return randomText(random, pieces, 60);
    },
  };
}

/** POST /api/v1/sms: `{to, text}` or `{to, dataHex}`. */
const adminSms = adminBodyTarget('admin-sms-body', ADMIN_BODY_RULES.sms, [
  { to: '+491701234567', text: 'hello' }, { to: '+491701234567', dataHex: '40010001' }, { to: '+15', text: 'ü€' }, { to: '+491701234567', text: 'x'.repeat(1600) },
], ['+491701234567', '491701234567', '+0123', '', 'abc', '00ff', 'ABC', 'hello', '\u0000']);
/** POST /api/v1/wakeups: `{endpoint}`. */
const adminWakeup = adminBodyTarget('admin-wakeup-body', ADMIN_BODY_RULES.wakeup, [
  { endpoint: 'urn:imei:350000000000001' }, { endpoint: 'meter-1' }, { endpoint: 'x'.repeat(255) },
], ['', 'meter-1', 'x'.repeat(256), 'urn:imei:350000000000001']);
/** PUT /api/v1/modems/:name/at-trace: `{on}`. */
const adminAtTrace = adminBodyTarget('admin-at-trace-body', ADMIN_BODY_RULES.atTrace, [{ on: true }, { on: false }], [true, false, 'true', 1, 0, null]);

/** Every target, in report order. */
export const FUZZ_TARGETS: readonly FuzzTarget<unknown>[] = [pdu, atLine, coap, linkFormat, registerQuery, config, adminSms, adminWakeup, adminAtTrace];
