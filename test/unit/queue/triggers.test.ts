import { describe, expect, it } from 'vitest';
import { buildTrigger } from '../../../src/queue/triggers.ts';
import { splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { bytesToHex, hexToBytes } from '../../../src/shared/hex.ts';

/** LwM2M 1.1 Core Appendix L "Example of Trigger Message from Server": MID 0xB60B, token 21 61 FB 63. */
const APPENDIX_L = { messageId: 0xb60b, token: hexToBytes('2161fb63')! };

describe('buildTrigger', () => {
  it('raw CoAP Registration Update Trigger, CON: POST /1/0/8', () => {
    const { payload, ports } = buildTrigger({ kind: 'registration-update', mode: 'CON', framing: 'coap', ...APPENDIX_L });
    expect(ports).toBeNull();
    expect(bytesToHex(payload)).toBe([
      '44', //       Ver 1, T 0 (CON), TKL 4 (RFC 7252 §3)
      '02', //       Code 0.02 POST (LwM2M Execute)
      'b60b', //     Message ID
      '2161fb63', // Token
      'b131', //     Uri-Path (delta 11, length 1) "1": Server object
      '0130', //     Uri-Path (delta 0, length 1) "0": instance
      '0138', //     Uri-Path "8": Registration Update Trigger
    ].join(''));
  });

  it('NON Bootstrap-Request Trigger on instance 3: POST /1/3/9, no token', () => {
    const { payload } = buildTrigger({ kind: 'bootstrap-request', serverInstance: 3, mode: 'NON', framing: 'coap', messageId: 0x0102 });
    expect(bytesToHex(payload)).toBe([
      '50', //   Ver 1, T 1 (NON), TKL 0
      '02', //   POST
      '0102', // Message ID
      'b131', // Uri-Path "1"
      '0133', // Uri-Path "3"
      '0139', // Uri-Path "9": Bootstrap-Request Trigger
    ].join(''));
  });

  it('WAP Push framing gives the user data of LwM2M Core Appendix L byte for byte', () => {
    const trigger = buildTrigger({ kind: 'registration-update', mode: 'CON', framing: 'wap-push', ...APPENDIX_L });
    expect(trigger.ports).toEqual({ destination: 2948, source: 0xc002 });
    const [part, ...more] = splitIntoSubmitPdus({ destination: '+4912345', payload: { data: trigger.payload }, ports: trigger.ports! });
    expect(more).toHaveLength(0);
    const expectedUserData = [
      '1b', //           TP-UDL: 27 octets (8-bit data)
      '06', //           UDHL
      '05', '04', //     IEI 0x05 16-bit application ports, length 4 (TS 23.040 §9.2.3.24.4)
      '0b84', //         destination port 2948 (WAP-259 WDP: wap-push)
      'c002', //         originator port 49154
      '01', //           WSP TID
      '06', //           WSP PDU type Push (WAP-230 §8.2.1)
      '03', //           HeadersLen
      'c4', //           Content-Type 0x44 application/vnd.syncml.notification
      'af', //           header X-Wap-Application-Id (0x2F)
      '9a', //           x-wap-application:lwm2m.dm (0x1A)
      '4402b60b2161fb63b13101300138', // the CoAP POST /1/0/8 above
    ].join('');
    expect(part!.hex.toLowerCase().endsWith(expectedUserData)).toBe(true);
  });

  it('refuses a server instance out of range and a bad message ID with GW_ERR_COAP_ENCODE', () => {
    expect(() => buildTrigger({ kind: 'registration-update', serverInstance: 70_000, mode: 'CON', framing: 'coap', messageId: 1 })).toThrow(expect.objectContaining({ code: 'GW_ERR_COAP_ENCODE' }));
    expect(() => buildTrigger({ kind: 'registration-update', mode: 'CON', framing: 'coap', messageId: 70_000 })).toThrow(expect.objectContaining({ code: 'GW_ERR_COAP_ENCODE' }));
  });
});
