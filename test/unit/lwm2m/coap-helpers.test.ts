/**
 * CoAP helpers: codes (RFC 7252 §3, §12.1), option values (§3.2), option readers, builders of
 * requests, ACK, RST and responses (§4.2, §5.2), and the transmission parameters (§4.8).
 */
import { describe, expect, it } from 'vitest';
import {
  ACK_RANDOM_FACTOR,
  ACK_TIMEOUT_SEC,
  CoapCode,
  CoapOptionNumber,
  ContentFormat,
  DEFAULT_LEISURE_SEC,
  EXCHANGE_LIFETIME_SEC,
  MAX_LATENCY_SEC,
  MAX_RETRANSMIT,
  MAX_RTT_SEC,
  MAX_TRANSMIT_SPAN_SEC,
  MAX_TRANSMIT_WAIT_SEC,
  NON_LIFETIME_SEC,
  NSTART,
  PROBING_RATE_BYTES_PER_SEC,
  PROCESSING_DELAY_SEC,
  QUEUE_MODE_AWAKE_SEC,
  accept,
  codeOf,
  codeToString,
  coapAck,
  coapPing,
  coapRequest,
  coapReset,
  coapResponse,
  contentFormat,
  decodeCoap,
  decodeUintOption,
  deriveCoapTimesSec,
  encodeCoap,
  encodeUintOption,
  isRequest,
  isReservedClass,
  isResponse,
  locationPath,
  observe,
  uriPath,
  uriQuery,
} from '../../../src/lwm2m/index.ts';
import * as V from './coap-vectors.ts';
import { opt } from './coap-vectors.ts';
import { expectDecodeError, expectEncodeError, hex, message, wire } from './lwm2m-test-helpers.ts';

describe('codes (RFC 7252 §3 "c.dd", §12.1)', () => {
  it.each([
    ['0.00', 0],
    ['0.01', CoapCode.GET],
    ['0.02', CoapCode.POST],
    ['0.03', CoapCode.PUT],
    ['0.04', CoapCode.DELETE],
    ['0.05', CoapCode.FETCH],
    ['0.07', CoapCode.IPATCH],
    ['2.01', CoapCode.CREATED],
    ['2.02', CoapCode.DELETED],
    ['2.03', CoapCode.VALID],
    ['2.04', CoapCode.CHANGED],
    ['2.05', CoapCode.CONTENT],
    ['2.31', CoapCode.CONTINUE],
    ['4.00', CoapCode.BAD_REQUEST],
    ['4.01', CoapCode.UNAUTHORIZED],
    ['4.04', CoapCode.NOT_FOUND],
    ['4.05', CoapCode.METHOD_NOT_ALLOWED],
    ['4.09', CoapCode.CONFLICT],
    ['4.12', CoapCode.PRECONDITION_FAILED],
    ['4.15', CoapCode.UNSUPPORTED_CONTENT_FORMAT],
    ['5.00', CoapCode.INTERNAL_SERVER_ERROR],
    ['5.03', CoapCode.SERVICE_UNAVAILABLE],
    ['5.04', CoapCode.GATEWAY_TIMEOUT],
    ['7.31', 255],
  ])('%s ⇄ %i', (text, code) => {
    expect(codeOf(text)).toBe(code);
    expect(codeToString(code)).toBe(text);
  });

  it('the named codes are class << 5 | detail', () => {
    expect([CoapCode.CREATED, CoapCode.CONTENT, CoapCode.BAD_REQUEST, CoapCode.NOT_FOUND, CoapCode.SERVICE_UNAVAILABLE, CoapCode.GATEWAY_TIMEOUT]).toStrictEqual([
      65, 69, 128, 132, 163, 164,
    ]);
  });

  it.each(['2.5', '2.005', '8.00', '2.32', '2.40', '205', '', ' 2.05', 'a.bc', '-1.00'])('codeOf(%j) throws EncodeError Code', (text) => {
    expectEncodeError(() => codeOf(text), 'GW_ERR_COAP_ENCODE', 'Code');
  });

  it.each([256, -1, 1.5, Number.NaN])('codeToString(%s) throws EncodeError Code', (code) => {
    expectEncodeError(() => codeToString(code), 'GW_ERR_COAP_ENCODE', 'Code');
  });

  it.each([
    // [code, request, response, reserved class]
    [0, false, false, false],
    [1, true, false, false],
    [31, true, false, false],
    [32, false, false, true], // 1.00
    [64, false, true, false], // 2.00
    [69, false, true, false],
    [96, false, false, false], // 3.00: unassigned, not reserved by §12.1
    [128, false, true, false],
    [191, false, true, false], // 5.31
    [192, false, false, true], // 6.00
    [255, false, false, true], // 7.31
    [256, false, false, false],
  ])('code %i: request %s, response %s, reserved %s', (code, request, response, reserved) => {
    expect([isRequest(code), isResponse(code), isReservedClass(code)]).toStrictEqual([request, response, reserved]);
  });
});

describe('uint option values (RFC 7252 §3.2)', () => {
  it.each([
    [0, []],
    [1, [0x01]],
    [40, [0x28]],
    [255, [0xff]],
    [256, [0x01, 0x00]],
    [1024, [0x04, 0x00]],
    [11543, [0x2d, 0x17]],
    [65535, [0xff, 0xff]],
    [65536, [0x01, 0x00, 0x00]],
    [0xffffffff, [0xff, 0xff, 0xff, 0xff]],
  ])('%i ⇄ %j (fewest bytes)', (n, bytes) => {
    expect(hex(encodeUintOption(n))).toBe(hex(wire(bytes)));
    expect(decodeUintOption(wire(bytes))).toBe(n);
  });

  it('decodes leading zero bytes, which a recipient must accept', () => {
    expect(decodeUintOption(wire(0x00, 0x00, 0x04, 0x00))).toBe(1024);
    expect(decodeUintOption(wire(0, 0, 0, 0, 0, 0, 0, 1))).toBe(1);
  });

  it('refuses values above 2^32 - 1', () => {
    expectDecodeError(() => decodeUintOption(wire(0x01, 0x00, 0x00, 0x00, 0x00)), 'GW_ERR_COAP_DECODE', 'Option Value', 4);
    for (const n of [-1, 1.5, 2 ** 32, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectEncodeError(() => encodeUintOption(n), 'GW_ERR_COAP_ENCODE', 'Option Value');
    }
  });
});

describe('option readers', () => {
  it('reads path, query, location, Content-Format, Accept and Observe', () => {
    expect(uriPath(decodeCoap(V.TRIGGER_APPENDIX_L.bytes))).toStrictEqual(['1', '0', '8']);
    expect(uriQuery(decodeCoap(V.GET_3_0.bytes))).toStrictEqual([]);
    expect(contentFormat(decodeCoap(V.CONTENT_TEXT_PLAIN.bytes))).toBe(ContentFormat.TEXT_PLAIN);
    expect(contentFormat(decodeCoap(V.GET_3_0.bytes))).toBeNull();
    expect(observe(decodeCoap(V.OBSERVE_REQUEST.bytes))).toBe(0);
    expect(observe(decodeCoap(V.OBSERVE_NOTIFICATION.bytes))).toBe(9);
    expect(accept(message({ type: 'CON', code: 1, messageId: 1, options: [opt(17, [0x2d, 0x16])] }))).toBe(ContentFormat.LWM2M_TLV);
  });

  it('a repeated Content-Format counts once, the first (RFC 7252 §5.4.5)', () => {
    expect(contentFormat(message({ type: 'CON', code: 2, messageId: 1, options: [opt(12, [40]), opt(12, [0])] }))).toBe(40);
  });

  it('decodes UTF-8 and refuses ill-formed UTF-8 with the offset inside the option value', () => {
    expect(uriPath(message({ type: 'CON', code: 1, messageId: 1, options: [opt(11, [0xc3, 0xa9])] }))).toStrictEqual(['é']);
    const bad = message({ type: 'CON', code: 1, messageId: 1, options: [opt(11, 'ok'), opt(11, [0x72, 0xc3])] });
    expectDecodeError(() => uriPath(bad), 'GW_ERR_COAP_DECODE', 'Uri-Path', 1);
    expectDecodeError(() => locationPath(message({ type: 'ACK', code: 65, messageId: 1, options: [opt(8, [0xed, 0xa0, 0x80])] })), 'GW_ERR_COAP_DECODE', 'Location-Path', 0);
  });

  it('keeps a leading U+FEFF of a string option: it is part of the value, not a byte-order mark', () => {
    // EF BB BF: U+FEFF; 61: "a". A decoder that drops a leading BOM would give "a".
    expect(uriPath(message({ type: 'CON', code: 1, messageId: 1, options: [opt(11, [0xef, 0xbb, 0xbf, 0x61])] }))).toStrictEqual(['\ufeffa']);
    // A BOM alone is a one-character value, not an empty one.
    expect(uriQuery(message({ type: 'CON', code: 2, messageId: 1, options: [opt(15, [0xef, 0xbb, 0xbf])] }))).toStrictEqual(['\ufeff']);
  });
});

describe('builders', () => {
  it('coapRequest builds the GET /3/0 and Register vectors', () => {
    const get = coapRequest({ code: CoapCode.GET, messageId: 0x0102, token: wire(0xa1, 0xb2), path: ['3', '0'] });
    expect(get).toStrictEqual(V.GET_3_0.message);
    const register = coapRequest({
      code: CoapCode.POST,
      messageId: 0x1f2e,
      token: wire(0xca, 0xfe, 0x00, 0x01),
      path: ['rd'],
      query: ['ep=node1', 'lt=300', 'lwm2m=1.1', 'b=U', 'Q'],
      contentFormat: ContentFormat.LINK_FORMAT,
      payload: V.REGISTER_PAYLOAD,
    });
    expect(hex(encodeCoap(register))).toBe(hex(V.REGISTER.bytes));
    expect(decodeCoap(encodeCoap(register))).toStrictEqual(register);
  });

  it('coapRequest: NON, Accept, extra options merged in number order', () => {
    const request = coapRequest({ type: 'NON', code: CoapCode.GET, messageId: 9, path: ['temperature'], accept: 0, options: [opt(6, [])] });
    expect(request.type).toBe('NON');
    expect(request.options.map((o) => o.number)).toStrictEqual([CoapOptionNumber.OBSERVE, CoapOptionNumber.URI_PATH, CoapOptionNumber.ACCEPT]);
  });

  it('coapRequest refuses what is not a request', () => {
    expectEncodeError(() => coapRequest({ type: 'ACK' as 'CON', code: 1, messageId: 1 }), 'GW_ERR_COAP_ENCODE', 'T');
    expectEncodeError(() => coapRequest({ code: CoapCode.CONTENT, messageId: 1 }), 'GW_ERR_COAP_ENCODE', 'Code');
    expectEncodeError(() => coapRequest({ code: 0, messageId: 1 }), 'GW_ERR_COAP_ENCODE', 'Code');
    expectEncodeError(() => coapRequest({ code: 1, messageId: 70000 }), 'GW_ERR_COAP_ENCODE', 'Message ID');
    expectEncodeError(() => coapRequest({ code: 1, messageId: 1, token: new Uint8Array(9) }), 'GW_ERR_COAP_ENCODE', 'Token');
    expectEncodeError(() => coapRequest({ code: 1, messageId: 1, path: ['x'.repeat(256)] }), 'GW_ERR_COAP_ENCODE', 'Uri-Path');
    expectEncodeError(() => coapRequest({ code: 1, messageId: 1, query: ['\uD800'] }), 'GW_ERR_COAP_ENCODE', 'Uri-Query');
    expectEncodeError(() => coapRequest({ code: 2, messageId: 1, payload: 'a\uDC00' }), 'GW_ERR_COAP_ENCODE', 'Payload');
    expectEncodeError(() => coapRequest({ code: 2, messageId: 1, contentFormat: -1 }), 'GW_ERR_COAP_ENCODE', 'Option Value');
    expect(coapRequest({ code: 1, messageId: 1, path: ['é'.repeat(127)] }).options[0]?.value).toHaveLength(254);
  });

  it('coapAck, coapReset and coapPing give the 4-byte empty messages', () => {
    expect(hex(encodeCoap(coapAck(0x1234)))).toBe(hex(V.EMPTY_ACK.bytes));
    expect(hex(encodeCoap(coapReset(0xbeef)))).toBe(hex(V.RESET.bytes));
    expect(hex(encodeCoap(coapPing(1)))).toBe(hex(V.PING.bytes));
    expectEncodeError(() => coapAck(65536), 'GW_ERR_COAP_ENCODE', 'Message ID');
    expectEncodeError(() => coapReset(-1), 'GW_ERR_COAP_ENCODE', 'Message ID');
  });

  it('coapResponse to a CON is a piggybacked ACK with the same Message ID and token (§5.2.1)', () => {
    const created = coapResponse(decodeCoap(V.REGISTER.bytes), CoapCode.CREATED, undefined, { options: [opt(8, 'rd'), opt(8, '5a3f')] });
    expect(created).toStrictEqual(V.CREATED.message);
    expect(hex(encodeCoap(created))).toBe(hex(V.CREATED.bytes));
    const content = coapResponse(decodeCoap(V.RFC7252_FIG16_REQUEST.bytes), CoapCode.CONTENT, '22.3 C');
    expect(hex(encodeCoap(content))).toBe(hex(V.RFC7252_FIG16_RESPONSE.bytes));
    const withFormat = coapResponse(coapRequest({ code: 1, messageId: 0x7d35, token: wire(0x20) }), CoapCode.CONTENT, wire('22.3 C'), { contentFormat: 0 });
    expect(hex(encodeCoap(withFormat))).toBe(hex(V.CONTENT_TEXT_PLAIN.bytes));
  });

  it('coapResponse to a NON is a NON with the given Message ID and the same token (§5.2.3)', () => {
    const request = decodeCoap(V.URI_PATH_LENGTH_13.bytes);
    expect(coapResponse(request, CoapCode.NOT_FOUND, undefined, { messageId: 0x0abc })).toStrictEqual(
      message({ type: 'NON', code: CoapCode.NOT_FOUND, messageId: 0x0abc, token: wire(0x07) }),
    );
    expectEncodeError(() => coapResponse(request, CoapCode.CONTENT), 'GW_ERR_COAP_ENCODE', 'Message ID');
  });

  it('coapResponse refuses to answer a non-request, or with a non-response code', () => {
    const get = decodeCoap(V.GET_3_0.bytes);
    expectEncodeError(() => coapResponse(get, CoapCode.GET), 'GW_ERR_COAP_ENCODE', 'Code');
    expectEncodeError(() => coapResponse(decodeCoap(V.RFC7252_FIG16_RESPONSE.bytes), CoapCode.CONTENT), 'GW_ERR_COAP_ENCODE', 'Code');
    expectEncodeError(() => coapResponse(decodeCoap(V.PING.bytes), CoapCode.CONTENT), 'GW_ERR_COAP_ENCODE', 'Code');
    expectEncodeError(() => coapResponse({ ...get, type: 'ACK' }, CoapCode.CONTENT), 'GW_ERR_COAP_ENCODE', 'T');
    expectEncodeError(() => coapResponse({ ...get, type: 'RST' }, CoapCode.CONTENT), 'GW_ERR_COAP_ENCODE', 'T');
  });
});

describe('transmission parameters (RFC 7252 §4.8)', () => {
  it('has the defaults of §4.8 and the derived times of §4.8.2', () => {
    expect([ACK_TIMEOUT_SEC, ACK_RANDOM_FACTOR, MAX_RETRANSMIT, NSTART, DEFAULT_LEISURE_SEC, PROBING_RATE_BYTES_PER_SEC, MAX_LATENCY_SEC]).toStrictEqual([
      2, 1.5, 4, 1, 5, 1, 100,
    ]);
    expect({
      MAX_TRANSMIT_SPAN_SEC,
      MAX_TRANSMIT_WAIT_SEC,
      PROCESSING_DELAY_SEC,
      MAX_RTT_SEC,
      EXCHANGE_LIFETIME_SEC,
      NON_LIFETIME_SEC,
      QUEUE_MODE_AWAKE_SEC,
    }).toStrictEqual({
      MAX_TRANSMIT_SPAN_SEC: 45,
      MAX_TRANSMIT_WAIT_SEC: 93,
      PROCESSING_DELAY_SEC: 2,
      MAX_RTT_SEC: 202,
      EXCHANGE_LIFETIME_SEC: 247,
      NON_LIFETIME_SEC: 145,
      QUEUE_MODE_AWAKE_SEC: 93,
    });
  });

  it('derives the times for other base values, frozen', () => {
    const times = deriveCoapTimesSec({ ackTimeoutSec: 10, ackRandomFactor: 1.5, maxRetransmit: 2, maxLatencySec: 100 });
    expect(times).toStrictEqual({
      maxTransmitSpanSec: 45, // 10 × 3 × 1.5
      maxTransmitWaitSec: 105, // 10 × 7 × 1.5
      processingDelaySec: 10,
      maxRttSec: 210,
      exchangeLifetimeSec: 255,
      nonLifetimeSec: 145,
    });
    expect(Object.isFrozen(times)).toBe(true);
  });
});
