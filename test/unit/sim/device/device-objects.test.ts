/**
 * How the simulated device answers the Device Management interface (Read, Write, Execute on /1/0
 * and /3/0), and the settings that shape its Register (binding spelling per LwM2M version,
 * `sms`, `Q`). Pure: messages built with the CoAP codec, no sockets.
 */
import { describe, expect, it } from 'vitest';
import { CoapCode, ContentFormat, CoapOptionNumber, coapRequest, type CoapMessage } from '../../../../src/lwm2m/index.ts';
import {
  DEFAULT_DEVICE_INFO, DeviceObjects, decodeTlv, encodeTlv, objectLinkList, readTlvInteger, readTlvString, registerQuery, resolveSimDeviceSettings,
  tlvResource, type TlvNode,
} from '../../../../src/sim/device/index.ts';

function objects(): DeviceObjects {
  return new DeviceObjects({ info: DEFAULT_DEVICE_INFO, shortServerId: 7, lifetimeSec: 300, binding: 'UQS', now: () => 1_700_000_000_000 });
}

function request(code: number, path: string, extra: { accept?: number; contentFormat?: number; payload?: Uint8Array | string } = {}): CoapMessage {
  return coapRequest({ code, messageId: 1, path: path.split('/').filter((s) => s !== ''), ...extra });
}

function leaf(nodes: readonly TlvNode[], id: number): Uint8Array {
  const node = nodes.find((n) => n.id === id);
  if (node === undefined || 'children' in node) throw new Error(`no resource ${id}`);
  return node.value;
}

describe('DeviceObjects: Read', () => {
  it('reads /3/0 as TLV resources', () => {
    const answer = objects().handle(request(CoapCode.GET, '/3/0'));
    expect(answer).toMatchObject({ operation: 'read', code: CoapCode.CONTENT, contentFormat: ContentFormat.LWM2M_TLV });
    const nodes = decodeTlv(answer.payload as Uint8Array);
    expect(readTlvString(leaf(nodes, 0))).toBe(DEFAULT_DEVICE_INFO.manufacturer);
    expect(readTlvString(leaf(nodes, 3))).toBe(DEFAULT_DEVICE_INFO.firmwareVersion);
    expect(readTlvInteger(leaf(nodes, 13))).toBe(1_700_000_000);
    expect(readTlvString(leaf(nodes, 16))).toBe('UQS');
    expect(nodes.find((n) => n.id === 11)).toMatchObject({ type: 'multiple-resource', children: [{ type: 'resource-instance', id: 0 }] });
  });

  it('reads /1/0 as TLV without the executable resource 8', () => {
    const nodes = decodeTlv(objects().handle(request(CoapCode.GET, '/1/0')).payload as Uint8Array);
    expect(nodes.map((n) => n.id)).toStrictEqual([0, 1, 6, 7]);
    expect(readTlvInteger(leaf(nodes, 0))).toBe(7);
    expect(readTlvInteger(leaf(nodes, 1))).toBe(300);
  });

  it('reads /3 as one Object Instance', () => {
    const nodes = decodeTlv(objects().handle(request(CoapCode.GET, '/3')).payload as Uint8Array);
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ type: 'object-instance', id: 0 });
  });

  it('reads a single resource as text, or as TLV on Accept', () => {
    expect(objects().handle(request(CoapCode.GET, '/3/0/0'))).toMatchObject({ code: CoapCode.CONTENT, payload: 'lwm2m-sms-bridge', contentFormat: ContentFormat.TEXT_PLAIN });
    expect(objects().handle(request(CoapCode.GET, '/1/0/1'))).toMatchObject({ payload: '300' });
    expect(objects().handle(request(CoapCode.GET, '/1/0/6'))).toMatchObject({ payload: '0' });
    const tlv = objects().handle(request(CoapCode.GET, '/1/0/1', { accept: ContentFormat.LWM2M_TLV }));
    expect(Buffer.from(tlv.payload as Uint8Array).toString('hex')).toBe('c20101' + '2c'); // Resource 1, length 2, 300
    expect(objects().handle(request(CoapCode.GET, '/3/0/11/0'))).toMatchObject({ code: CoapCode.CONTENT, payload: '0' });
  });

  it('answers 4.06 to an Accept it cannot produce, 4.04 to unknown paths, 4.05 to reading an executable', () => {
    expect(objects().handle(request(CoapCode.GET, '/3/0', { accept: ContentFormat.SENML_JSON })).code).toBe(CoapCode.NOT_ACCEPTABLE);
    expect(objects().handle(request(CoapCode.GET, '/3/0/11', { accept: ContentFormat.TEXT_PLAIN })).code).toBe(CoapCode.NOT_ACCEPTABLE);
    for (const path of ['/', '/5/0', '/3/1', '/3/0/99', '/3/0/0/0', '/3/0/11/4', '/x', '/3/00', '/3/0/1/2/3']) {
      expect(objects().handle(request(CoapCode.GET, path)).code, path).toBe(CoapCode.NOT_FOUND);
    }
    expect(objects().handle(request(CoapCode.GET, '/1/0/8')).code).toBe(CoapCode.METHOD_NOT_ALLOWED);
  });
});

describe('DeviceObjects: Write and Execute', () => {
  it('writes the lifetime as text and reports the change once', () => {
    const o = objects();
    expect(o.handle(request(CoapCode.PUT, '/1/0/1', { contentFormat: 0, payload: '60' }))).toMatchObject({ operation: 'write', code: CoapCode.CHANGED, effect: 'lifetime-changed' });
    expect(o.lifetimeSec).toBe(60);
    expect(o.handle(request(CoapCode.PUT, '/1/0/1', { payload: '60' }))).toMatchObject({ code: CoapCode.CHANGED, effect: 'none' });
  });

  it('writes the lifetime as TLV', () => {
    const o = objects();
    const payload = encodeTlv([tlvResource(1, 120)]);
    expect(o.handle(request(CoapCode.PUT, '/1/0/1', { contentFormat: ContentFormat.LWM2M_TLV, payload }))).toMatchObject({ code: CoapCode.CHANGED });
    expect(o.lifetimeSec).toBe(120);
  });

  it.each([
    ['not a number', { payload: 'soon' }, CoapCode.BAD_REQUEST],
    ['zero', { payload: '0' }, CoapCode.BAD_REQUEST],
    ['TLV of another resource', { contentFormat: ContentFormat.LWM2M_TLV, payload: encodeTlv([tlvResource(2, 5)]) }, CoapCode.BAD_REQUEST],
    ['malformed TLV', { contentFormat: ContentFormat.LWM2M_TLV, payload: Uint8Array.of(0xc4, 0x01) }, CoapCode.BAD_REQUEST],
    ['JSON', { contentFormat: ContentFormat.JSON, payload: '{}' }, CoapCode.UNSUPPORTED_CONTENT_FORMAT],
  ])('refuses a lifetime that is %s', (_name, extra, code) => {
    const o = objects();
    expect(o.handle(request(CoapCode.PUT, '/1/0/1', extra)).code).toBe(code);
    expect(o.lifetimeSec).toBe(300);
  });

  it('executes /1/0/8 as an update trigger; other resources are not executable or writable', () => {
    expect(objects().handle(request(CoapCode.POST, '/1/0/8'))).toMatchObject({ operation: 'execute', code: CoapCode.CHANGED, effect: 'update-trigger' });
    expect(objects().handle(request(CoapCode.POST, '/3/0/0')).code).toBe(CoapCode.METHOD_NOT_ALLOWED);
    expect(objects().handle(request(CoapCode.PUT, '/3/0/0', { payload: 'x' })).code).toBe(CoapCode.METHOD_NOT_ALLOWED);
    expect(objects().handle(request(CoapCode.DELETE, '/1/0')).code).toBe(CoapCode.METHOD_NOT_ALLOWED);
    expect(objects().handle(request(CoapCode.POST, '/9/0/8')).code).toBe(CoapCode.NOT_FOUND);
  });

  it('answers 4.00 to an option it cannot read', () => {
    const bad = { ...request(CoapCode.GET, '/3/0'), options: [{ number: CoapOptionNumber.URI_PATH, value: Uint8Array.of(0xff) }] };
    expect(objects().handle(bad).code).toBe(CoapCode.BAD_REQUEST);
    const wideAccept = { ...request(CoapCode.GET, '/3/0'), options: [...request(CoapCode.GET, '/3/0').options, { number: CoapOptionNumber.ACCEPT, value: new Uint8Array(5).fill(1) }] };
    expect(objects().handle(wideAccept).code).toBe(CoapCode.BAD_REQUEST);
  });
});

describe('device settings and the Register query', () => {
  const base = { msisdn: '+491700000101', endpoint: 'dev-1', network: { host: '127.0.0.1', port: 1 }, gatewayNumber: '+491700000099', udp: { host: '127.0.0.1', port: 2 } };

  it.each([
    ['1.0', 'U', false, 'U', ['ep=dev-1', 'lt=86400', 'lwm2m=1.0', 'b=U']],
    ['1.0', 'U', true, 'UQ', ['ep=dev-1', 'lt=86400', 'lwm2m=1.0', 'b=UQ']],
    ['1.0', 'S', true, 'SQ', ['ep=dev-1', 'lt=86400', 'lwm2m=1.0', 'b=SQ', 'sms=491700000101']],
    ['1.0', 'US', true, 'UQS', ['ep=dev-1', 'lt=86400', 'lwm2m=1.0', 'b=UQS', 'sms=491700000101']],
    ['1.0', 'UQS', false, 'UQS', ['ep=dev-1', 'lt=86400', 'lwm2m=1.0', 'b=UQS', 'sms=491700000101']],
    ['1.1', 'US', true, 'US', ['ep=dev-1', 'lt=86400', 'lwm2m=1.1', 'b=US', 'sms=491700000101', 'Q']],
    ['1.1', 'UQS', false, 'US', ['ep=dev-1', 'lt=86400', 'lwm2m=1.1', 'b=US', 'sms=491700000101', 'Q']],
    ['1.1', 'S', false, 'S', ['ep=dev-1', 'lt=86400', 'lwm2m=1.1', 'b=S', 'sms=491700000101']],
  ] as const)('LwM2M %s binding %s (queue %s) registers b=%s', (version, binding, queueMode, b, query) => {
    const settings = resolveSimDeviceSettings({ ...base, binding, lwm2mVersion: version, queueMode });
    expect(settings.bindingText).toBe(b);
    expect(registerQuery(settings, settings.lifetimeSec)).toStrictEqual(query);
  });

  it.each([
    [{ binding: 'USQ' }, 'binding'],
    [{ binding: 'T', lwm2mVersion: '1.1' as const }, 'binding'],
    [{ binding: 'S', network: null }, 'network'],
    [{ binding: 'S', gatewayNumber: null }, 'gatewayNumber'],
    [{ binding: 'U', udp: null }, 'udp'],
    [{ msisdn: '12ab' }, 'msisdn'],
    [{ endpoint: '' }, 'endpoint'],
    [{ lifetimeSec: 0 }, 'lifetimeSec'],
    [{ objectLinks: '</1/0' }, 'objectLinks'],
    [{ updateAtFraction: 0 }, 'updateAtFraction'],
  ])('rejects %o naming %s', (options, option) => {
    expect(() => resolveSimDeviceSettings({ ...base, ...options })).toThrow(expect.objectContaining({ code: 'GW_ERR_CONFIG', details: { option } }));
  });

  it('builds object link lists of any length', () => {
    expect(objectLinkList(2)).toBe('</1/0>,</3/0>');
    expect(objectLinkList(8)).toBe('</1/0>,</3/0>,</4/0>,</5/0>,</6/0>,</7/0>,</3303/0>,</3303/1>');
    expect(objectLinkList(8)).toHaveLength(61);
    expect(() => objectLinkList(0)).toThrow(RangeError);
  });
});
