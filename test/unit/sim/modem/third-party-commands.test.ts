/**
 * Commands third-party SMS clients send that the gateway does not, answered as TS 27.007 says:
 * gammu-smsd asks `AT+CGATT?` before every SMS; `+CUSD` and `+CHUP` come from clients that also
 * handle USSD and calls. Each used to be answered `ERROR`.
 */
import { describe, expect, it } from 'vitest';
import { EngineHarness, info, OK_, readyHarness } from './engine-harness.ts';

describe('AT+CGATT (TS 27.007 §10.1.9)', () => {
  it('reports attached while registered, its range, and follows =0 / =1', () => {
    const h = readyHarness();
    expect(h.exchange('AT+CGATT?\r')).toBe(info('+CGATT: 1') + OK_);
    expect(h.exchange('AT+CGATT=?\r')).toBe(info('+CGATT: (0,1)') + OK_);
    expect(h.exchange('AT+CGATT=0;+CGATT?\r')).toBe(info('+CGATT: 0') + OK_);
    expect(h.exchange('AT+CGATT=1;+CGATT?\r')).toBe(info('+CGATT: 1') + OK_);
    expect(h.exchange('AT+CGATT=2\r')).toBe('\r\n+CME ERROR: 50\r\n');
  });

  it('is detached while not registered, and refuses to attach without network service', () => {
    const h = readyHarness();
    expect(h.exchange('AT+CFUN=0\r')).toBe(OK_);
    expect(h.exchange('AT+CGATT?\r')).toBe(info('+CGATT: 0') + OK_);
    expect(h.exchange('AT+CGATT=1\r')).toBe('\r\n+CME ERROR: 30\r\n');
  });

  it('answers before registration completes as not attached', () => {
    const h = new EngineHarness();
    h.send('ATE0\r');
    h.take();
    expect(h.exchange('AT+CGATT?\r')).toBe(info('+CGATT: 0') + OK_);
  });
});

describe('AT+CUSD (TS 27.007 §7.15)', () => {
  it('sets and reads the presentation, gives its range, and cancels', () => {
    const h = readyHarness();
    expect(h.exchange('AT+CUSD=1\r')).toBe(OK_);
    expect(h.exchange('AT+CUSD?\r')).toBe(info('+CUSD: 1') + OK_);
    expect(h.exchange('AT+CUSD=?\r')).toBe(info('+CUSD: (0-2)') + OK_);
    expect(h.exchange('AT+CUSD=2\r')).toBe(OK_);
    expect(h.exchange('AT+CUSD?\r')).toBe(info('+CUSD: 1') + OK_); // cancelling keeps <n>
    expect(h.exchange('AT+CUSD\r')).toBe(OK_);
    expect(h.exchange('AT+CUSD?\r')).toBe(info('+CUSD: 0') + OK_);
    expect(h.exchange('AT+CUSD=3\r')).toBe('\r\n+CME ERROR: 50\r\n');
  });

  it('answers a USSD request with +CUSD: 4 (not supported by this network) when presentation is on', () => {
    const h = readyHarness();
    expect(h.exchange('AT+CUSD=1,"*100#",15\r')).toBe(OK_ + info('+CUSD: 4'));
    expect(h.exchange('AT+CUSD=0,"*100#"\r')).toBe(OK_);
  });
});

describe('AT+CHUP (TS 27.007 §6.5)', () => {
  it('hangs up (there is no call) and answers its test command', () => {
    const h = readyHarness();
    expect(h.exchange('AT+CHUP\r')).toBe(OK_);
    expect(h.exchange('AT+CHUP=?\r')).toBe(OK_);
    expect(h.exchange('AT+CHUP?\r')).toBe('\r\n+CME ERROR: 4\r\n');
  });
});
