/**
 * Register / Update query parameters (LwM2M 1.0 §5.3.1, 1.1 Core "Register"/"Update") and the
 * binding tables: 1.0 accepts exactly six values; 1.1 any non-repeating set of U, T, S, N; 1.2
 * adds M and H. Errors carry the parameter name as field and the index of the query argument
 * (or, for parseBinding, of the letter) as offset.
 */
import { describe, expect, it } from 'vitest';
import { normaliseMsisdn, parseBinding, parseRegisterQuery, type Binding } from '../../../src/lwm2m/index.ts';
import { expectDecodeError } from './lwm2m-test-helpers.ts';

const NONE: Omit<Binding, 'raw'> = { udp: false, sms: false, tcp: false, nonIp: false, mqtt: false, http: false, queue: false };
const binding = (raw: string, flags: Partial<Binding>): Binding => ({ ...NONE, ...flags, raw });

describe('parseBinding, LwM2M 1.0: exactly U, UQ, S, SQ, US, UQS', () => {
  it.each([
    ['U', { udp: true }],
    ['UQ', { udp: true, queue: true }],
    ['S', { sms: true }],
    ['SQ', { sms: true, queue: true }],
    ['US', { udp: true, sms: true }],
    ['UQS', { udp: true, sms: true, queue: true }],
  ])('%s', (raw, flags) => {
    expect(parseBinding(raw, '1.0')).toStrictEqual(binding(raw, flags));
  });

  it.each([
    ['UQSQ', 0], // "UQSQ and USQ are not supported" (1.0 Table 8)
    ['USQ', 0],
    ['SU', 0],
    ['QU', 0],
    ['UU', 0],
    ['Q', 0],
    ['', 0],
    ['T', 0], // TCP only from 1.1
    ['UT', 1],
    ['N', 0],
    ['u', 0],
    ['U ', 1],
  ])('%j is refused: b at %i', (raw, offset) => {
    expectDecodeError(() => parseBinding(raw, '1.0'), 'GW_ERR_LWM2M_REGISTRATION', 'b', offset);
  });
});

describe('parseBinding, LwM2M 1.1 and 1.2: any non-repeating set of the letters', () => {
  it.each([
    ['U', '1.1', { udp: true }],
    ['S', '1.1', { sms: true }],
    ['T', '1.1', { tcp: true }],
    ['N', '1.1', { nonIp: true }],
    ['US', '1.1', { udp: true, sms: true }],
    ['SU', '1.1', { udp: true, sms: true }],
    ['UT', '1.1', { udp: true, tcp: true }],
    ['UTSN', '1.1', { udp: true, tcp: true, sms: true, nonIp: true }],
    ['NSTU', '1.1', { udp: true, tcp: true, sms: true, nonIp: true }],
    ['M', '1.2', { mqtt: true }],
    ['H', '1.2', { http: true }],
    ['UMH', '1.2', { udp: true, mqtt: true, http: true }],
    ['UTSNMH', '1.2', { udp: true, tcp: true, sms: true, nonIp: true, mqtt: true, http: true }],
    ['US', '1.3', { udp: true, sms: true }], // later 1.x versions follow the 1.2 rules
  ])('%s in %s', (raw, version, flags) => {
    expect(parseBinding(raw, version)).toStrictEqual(binding(raw, flags));
  });

  it.each([
    ['UQ', '1.1', 1], // queue mode is the Q parameter from 1.1 on
    ['UQS', '1.1', 1],
    ['Q', '1.2', 0],
    ['UU', '1.1', 1],
    ['USU', '1.1', 2],
    ['MM', '1.2', 1],
    ['M', '1.1', 0],
    ['H', '1.1', 0],
    ['X', '1.2', 0],
    ['', '1.1', 0],
    ['us', '1.1', 0],
  ])('%j in %s is refused: b at %i', (raw, version, offset) => {
    expectDecodeError(() => parseBinding(raw, version), 'GW_ERR_LWM2M_REGISTRATION', 'b', offset);
  });

  it.each(['2.0', '1', '1.01', 'v1.1', '', '1.1.1'])('version %j is refused: lwm2m at 0', (version) => {
    expectDecodeError(() => parseBinding('U', version), 'GW_ERR_LWM2M_REGISTRATION', 'lwm2m', 0);
  });
});

describe('normaliseMsisdn (TS 23.003 digits, no "+")', () => {
  it.each([
    ['+4917612345678', '4917612345678'],
    ['4917612345678', '4917612345678'],
    ['+1', '1'],
    ['123456789012345', '123456789012345'],
  ])('%s → %s', (text, digits) => {
    expect(normaliseMsisdn(text)).toBe(digits);
  });

  it.each(['', '+', '++49', '0049 176', '49-176', 'tel:+49176', '1234567890123456', '+49a'])('%j is refused', (text) => {
    expectDecodeError(() => normaliseMsisdn(text), 'GW_ERR_LWM2M_REGISTRATION', 'sms', 0);
    expectDecodeError(() => normaliseMsisdn(text, 'msisdn'), 'GW_ERR_LWM2M_REGISTRATION', 'msisdn', 0);
  });
});

describe('parseRegisterQuery', () => {
  it('a Leshan-style 1.1 Register: ep, lt, lwm2m, b=U and the valueless Q', () => {
    expect(parseRegisterQuery(['ep=node1', 'lt=300', 'lwm2m=1.1', 'b=U', 'Q'])).toStrictEqual({
      endpoint: 'node1',
      lifetimeSec: 300,
      lwm2mVersion: '1.1',
      binding: 'U',
      bindingMode: binding('U', { udp: true }),
      smsNumber: null,
      queueMode: true,
      profileId: null,
      extra: {},
    });
  });

  it('a 1.0 UQS Register with sms: queue mode from the binding, MSISDN without "+"', () => {
    const query = parseRegisterQuery(['ep=urn:imei:490154203237518', 'lt=86400', 'lwm2m=1.0', 'b=UQS', 'sms=+4917612345678']);
    expect(query).toMatchObject({ endpoint: 'urn:imei:490154203237518', lifetimeSec: 86400, smsNumber: '4917612345678', queueMode: true });
    expect(query.bindingMode).toStrictEqual(binding('UQS', { udp: true, sms: true, queue: true }));
  });

  it('a 1.1 sms parameter may be an External Identifier, kept as sent', () => {
    expect(parseRegisterQuery(['ep=a', 'lwm2m=1.1', 'b=S', 'sms=device-17@iot.example.net']).smsNumber).toBe('device-17@iot.example.net');
    expectDecodeError(() => parseRegisterQuery(['ep=a', 'lwm2m=1.0', 'sms=device-17@iot.example.net']), 'GW_ERR_LWM2M_REGISTRATION', 'sms', 2);
  });

  it('an Update carries only what changed; b is checked against the registered version', () => {
    expect(parseRegisterQuery(['lt=600'])).toStrictEqual({
      endpoint: null,
      lifetimeSec: 600,
      lwm2mVersion: null,
      binding: null,
      bindingMode: null,
      smsNumber: null,
      queueMode: false,
      profileId: null,
      extra: {},
    });
    expect(parseRegisterQuery(['b=UQ']).queueMode).toBe(true); // default version 1.0
    expectDecodeError(() => parseRegisterQuery(['b=UQ'], { lwm2mVersion: '1.1' }), 'GW_ERR_LWM2M_REGISTRATION', 'b', 0);
    expect(parseRegisterQuery(['b=UQ', 'lwm2m=1.0'], { lwm2mVersion: '1.1' }).bindingMode?.queue).toBe(true); // the query's lwm2m wins
  });

  it('keeps unknown parameters and pid; lt 0 and leading zeros are integers', () => {
    const query = parseRegisterQuery(['ep=a', 'pid=3', 'foo=bar', 'baz', 'empty=', 'lt=0']);
    expect(query.profileId).toBe('3');
    expect(query.extra).toStrictEqual({ foo: 'bar', baz: true, empty: '' });
    expect(query.lifetimeSec).toBe(0);
    expect(parseRegisterQuery(['lt=0300']).lifetimeSec).toBe(300);
    expect(parseRegisterQuery(['ep=a=b']).endpoint).toBe('a=b'); // split at the first "="
  });

  it('an empty query has no parameters', () => {
    expect(parseRegisterQuery([])).toMatchObject({ endpoint: null, lifetimeSec: null, queueMode: false, extra: {} });
  });

  it.each([
    ['a repeated ep', ['ep=a', 'ep=b'], 'ep', 1],
    ['a repeated Q', ['ep=a', 'Q', 'lt=1', 'Q'], 'Q', 3],
    ['a repeated unknown parameter', ['x=1', 'x=1'], 'x', 1],
    ['a negative lt', ['lt=-1'], 'lt', 0],
    ['a fractional lt', ['ep=a', 'lt=1.5'], 'lt', 1],
    ['an lt in exponent form', ['lt=1e3'], 'lt', 0],
    ['an lt with a space', ['lt= 300'], 'lt', 0],
    ['an empty lt', ['lt='], 'lt', 0],
    ['an lt beyond 2^53 - 1', ['lt=99999999999999999999'], 'lt', 0],
    ['a valueless lt', ['ep=a', 'lt'], 'lt', 1],
    ['an empty ep', ['ep='], 'ep', 0],
    ['a valueless ep', ['ep'], 'ep', 0],
    ['Q with a value', ['Q=1'], 'Q', 0],
    ['b=UQ in 1.1', ['ep=a', 'b=UQ', 'lwm2m=1.1'], 'b', 1],
    ['an unknown binding letter (1.0 default)', ['b=X'], 'b', 0],
    ['USQ in 1.0', ['lwm2m=1.0', 'b=USQ'], 'b', 1],
    ['a valueless b', ['b'], 'b', 0],
    ['lwm2m 2.0', ['lwm2m=2.0'], 'lwm2m', 0],
    ['an sms with letters', ['sms=12ab'], 'sms', 0],
    ['an sms of 16 digits', ['ep=a', 'sms=1234567890123456'], 'sms', 1],
    ['an empty parameter name', ['ep=a', '=x'], 'query', 1],
    ['an empty argument', [''], 'query', 0],
  ])('%s: field %s at argument %i', (_label, query, field, offset) => {
    expectDecodeError(() => parseRegisterQuery(query), 'GW_ERR_LWM2M_REGISTRATION', field, offset);
  });
});
