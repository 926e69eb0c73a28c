/**
 * What the gateway refuses before it stores anything: a Register without `ep`, endpoint names too
 * long or unprintable; and the lifetime cap that rewrites `lt` on the way to the core. Pure.
 */
import { describe, expect, it } from 'vitest';
import { CoapCode, CoapOptionNumber, coapRequest, uriQuery, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { capLifetime } from '../../../src/lwm2m/lifetime-cap.ts';
import { registrationOperation } from '../../../src/lwm2m/registration-mirror.ts';
import { DEFAULT_MAX_ENDPOINT_NAME_BYTES, parseRegisterQuery, validateEndpointName } from '../../../src/lwm2m/registration-request.ts';

function post(path: string[], query: string[]): CoapMessage {
  return coapRequest({ code: CoapCode.POST, messageId: 1, token: Uint8Array.of(1), path, query, contentFormat: 40, payload: '</3/0>' });
}

describe('endpoint names', () => {
  it('accepts printable names up to the limit, counted in UTF-8 bytes', () => {
    expect(validateEndpointName('urn:imei:490154203237518')).toBe('urn:imei:490154203237518');
    expect(validateEndpointName('x'.repeat(DEFAULT_MAX_ENDPOINT_NAME_BYTES))).toHaveLength(255);
    expect(validateEndpointName('zähler-1', 9)).toBe('zähler-1'); // 9 bytes
    expect(() => validateEndpointName('zähler-1', 8)).toThrow(/longer than 8 bytes/);
  });

  it('refuses empty, over-long (60 KB), NUL, newline, DEL, C1 and line-separator names with field ep and the offending index', () => {
    const cases: [string, number][] = [['', 0], ['a'.repeat(60_000), 0], ['dev\u0000x', 3], ['dev\nx', 3], ['dev\rx', 3], ['d\u007f', 1], ['d\u0085', 1], ['d\u2028', 1]];
    for (const [name, offset] of cases) {
      expect(() => validateEndpointName(name), JSON.stringify(name.slice(0, 8))).toThrow(expect.objectContaining({ code: 'GW_ERR_LWM2M_REGISTRATION', field: 'ep', offset }));
    }
  });

  it('is checked by parseRegisterQuery with the configured limit', () => {
    expect(() => parseRegisterQuery(['lt=60', 'ep=dev\u0000'])).toThrow(expect.objectContaining({ field: 'ep', offset: 1 }));
    expect(() => parseRegisterQuery(['ep=abcdef'], { maxEndpointNameBytes: 5 })).toThrow(expect.objectContaining({ field: 'ep' }));
    expect(parseRegisterQuery(['ep=abcde'], { maxEndpointNameBytes: 5 }).endpoint).toBe('abcde');
  });
});

describe('registrationOperation', () => {
  it('refuses a Register without ep (no name is invented)', () => {
    expect(() => registrationOperation(post(['rd'], ['lt=60', 'b=U']), '1.0')).toThrow(expect.objectContaining({ code: 'GW_ERR_LWM2M_REGISTRATION', field: 'ep' }));
  });

  it('accepts an Update without ep (it names its registration by location)', () => {
    expect(registrationOperation(post(['rd', 'a1'], ['lt=60']), '1.0')).toMatchObject({ kind: 'update' });
  });

  it('passes the endpoint-name limit on', () => {
    expect(() => registrationOperation(post(['rd'], ['ep=abcdef']), '1.0', 5)).toThrow(expect.objectContaining({ field: 'ep' }));
  });
});

describe('capLifetime', () => {
  it('lowers an lt above the cap in a Register, keeping every other option in place', () => {
    const register = post(['rd'], ['ep=dev', 'lt=4000000000', 'b=U']);
    const capped = capLifetime(register, 604_800);
    expect(uriQuery(capped)).toEqual(['ep=dev', 'lt=604800', 'b=U']);
    expect(capped.options.map((o) => o.number)).toEqual(register.options.map((o) => o.number));
    expect(capped.payload).toBe(register.payload);
  });

  it('lowers an lt of any number of digits, and reads leading zeros as the number they are', () => {
    expect(uriQuery(capLifetime(post(['rd'], ['ep=d', `lt=${'9'.repeat(200)}`]), 60))).toEqual(['ep=d', 'lt=60']);
    const small = post(['rd'], ['ep=d', `lt=${'0'.repeat(30)}30`]);
    expect(capLifetime(small, 60)).toBe(small);
  });

  it('caps an Update too, and leaves alone what is within the cap, not a registration request, or not digits', () => {
    expect(uriQuery(capLifetime(post(['rd', 'a1'], ['lt=999999']), 600))).toEqual(['lt=600']);
    for (const message of [
      post(['rd'], ['ep=d', 'lt=600']),
      post(['rd'], ['ep=d', 'lt=abc']),
      post(['3', '0'], ['lt=999999']),
      coapRequest({ code: CoapCode.GET, messageId: 2, token: Uint8Array.of(2), path: ['rd'], query: ['lt=999999'] }),
      { ...post(['rd'], ['lt=999999']), options: [{ number: CoapOptionNumber.URI_PATH, value: Uint8Array.of(0xff) }] },
    ]) {
      expect(capLifetime(message, 600)).toBe(message);
    }
  });
});
