/**
 * classifySmsOperation: the LwM2M operation kind of a CoAP message from its bytes (method, first
 * Uri-Path segments, Observe), for the per-operation SMS counts. Pure.
 */
import { describe, expect, it } from 'vitest';
import { classifySmsOperation, SmsOperationCounters } from '../../../src/bridge/sms-operations.ts';
import { buildTrigger } from '../../../src/queue/triggers.ts';
import { CoapCode, CoapOptionNumber, coapAck, coapRequest, coapResponse, encodeCoap, type CoapMessage } from '../../../src/lwm2m/index.ts';

const request = (code: number, path: string[], extra: Partial<Parameters<typeof coapRequest>[0]> = {}): CoapMessage => coapRequest({ code, messageId: 1, token: Uint8Array.of(1, 2), path, ...extra });
const kind = (message: CoapMessage): string => classifySmsOperation(encodeCoap(message));

describe('classifySmsOperation', () => {
  it('tells the registration interface apart by method and path (LwM2M Core §6.2)', () => {
    expect(kind(request(CoapCode.POST, ['rd'], { query: ['ep=a', 'lt=60'], payload: '</3/0>', contentFormat: 40 }))).toBe('register');
    expect(kind(request(CoapCode.POST, ['rd', 'abc']))).toBe('update');
    expect(kind(request(CoapCode.DELETE, ['rd', 'abc']))).toBe('deregister');
  });

  it('tells device management apart (§6.3): read, observe, write, execute, delete, and the triggers /1/x/8 and /1/x/9', () => {
    expect(kind(request(CoapCode.GET, ['3', '0']))).toBe('read');
    expect(kind(request(CoapCode.GET, ['3', '0', '9'], { options: [{ number: CoapOptionNumber.OBSERVE, value: new Uint8Array(0) }] }))).toBe('observe');
    expect(kind(request(CoapCode.PUT, ['1', '0', '1'], { payload: 'x' }))).toBe('write');
    expect(kind(request(CoapCode.POST, ['3', '0'], { payload: 'x' }))).toBe('write');
    expect(kind(request(CoapCode.POST, ['3', '0', '4']))).toBe('execute');
    expect(kind(request(CoapCode.POST, ['1', '0', '8']))).toBe('trigger');
    expect(kind(request(CoapCode.POST, ['1', '12', '9']))).toBe('trigger');
    expect(kind(request(CoapCode.POST, ['1', '0', '4']))).toBe('execute');
    expect(kind(request(CoapCode.DELETE, ['5', '0']))).toBe('delete');
    expect(classifySmsOperation(buildTrigger({ kind: 'registration-update', mode: 'NON', framing: 'coap', messageId: 7 }).payload)).toBe('trigger');
  });

  it('calls a response with Observe a notification (§6.4), any other response a response, and the rest other', () => {
    const read = request(CoapCode.GET, ['3', '0']);
    expect(kind(coapResponse(read, CoapCode.CONTENT, 'x'))).toBe('response');
    expect(kind({ ...coapResponse(read, CoapCode.CONTENT, 'x'), type: 'NON', options: [{ number: CoapOptionNumber.OBSERVE, value: Uint8Array.of(5) }] })).toBe('observe');
    expect(kind(coapAck(9))).toBe('other');
    expect(classifySmsOperation(new Uint8Array(0))).toBe('other');
    expect(classifySmsOperation(Uint8Array.of(0x40, 0x01, 0, 1, 0xbf))).toBe('other'); // option length 15: malformed
    expect(classifySmsOperation(Uint8Array.of(0x40, 0x01, 0, 1, 0xb5, 0x72))).toBe('other'); // option runs past the end
  });

  it('counts per kind and direction in plain numbers', () => {
    const counters = new SmsOperationCounters();
    counters.countReceived(encodeCoap(request(CoapCode.POST, ['rd'], { query: ['ep=a'] })));
    counters.countSent(encodeCoap(request(CoapCode.GET, ['3', '0'])));
    counters.countSent(new Uint8Array(3), 'trigger');
    expect(counters.received.register).toBe(1);
    expect(counters.sent).toMatchObject({ read: 1, trigger: 1, register: 0 });
  });
});
