/**
 * One copy of each text device records repeat (src/lwm2m/record-texts.ts). Which string object a
 * record holds is not observable from JavaScript; what is: values never change, and `share`
 * copies. (The memory it saves is measured by bench/device-scale.)
 */
import { describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../../../src/lwm2m/device-record.ts';
import { RecordTexts } from '../../../src/lwm2m/record-texts.ts';

const record = (endpoint: string, smsModem: string | null = null): DeviceRecord => ({
  endpoint, msisdn: null, udpHost: '127.0.0.10', udpPort: 5683, binding: 'U', queueMode: false, lifetimeSec: 300, lwm2mVersion: '1.1',
  objectLinks: '</1/0>,</3/0>', location: null, registered: false, registeredAtMs: null, lastActivityMs: 1, lastBearer: 'udp',
  lastUdpActivityMs: 1, smsModem, registeredOver: 'udp',
});

describe('RecordTexts', () => {
  it('share returns an equal copy; the record given is left as it was', () => {
    const texts = new RecordTexts();
    const original = record('a', 'modem-1');
    const shared = texts.share(original);
    expect(shared).not.toBe(original);
    expect(shared).toEqual(original);
    expect(original).toEqual(record('a', 'modem-1'));
  });

  it('shareInPlace leaves every value as it was, null texts included (it only changes which strings the record holds)', () => {
    const texts = new RecordTexts();
    texts.share(record('first'));
    for (const smsModem of ['modem-1', null]) {
      const fresh = { ...record('b', smsModem), udpHost: smsModem === null ? null : '127.0.0.10' };
      const before = { ...fresh };
      texts.shareInPlace(fresh);
      expect(fresh).toEqual(before);
    }
  });

  it('text returns an equal string, for short and for long (unshared) texts alike', () => {
    const texts = new RecordTexts();
    const long = '</3/0>,'.repeat(1000);
    expect(texts.text('U')).toBe('U');
    expect(texts.text(long)).toBe(long);
  });
});
