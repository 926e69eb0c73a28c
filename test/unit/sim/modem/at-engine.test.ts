/**
 * The simulated modem's AT engine, byte-exact: V.250 framing, identification, +CMEE, SIM, network
 * registration, reboot and faults. SMS commands are in sms-engine.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { EngineHarness, ERROR_, OK_, info, readyHarness } from './engine-harness.ts';

describe('V.250 basics', () => {
  it('echoes the command line with its CR before the response (ATE1 is the default)', () => {
    const h = new EngineHarness();
    expect(h.exchange('AT\r')).toBe('AT\r\r\nOK\r\n');
    expect(h.exchange('AT\r\n')).toBe('AT\r\r\nOK\r\n'); // LF after CR is ignored, not echoed
  });

  it('ATE0 stops the echo from the next line on', () => {
    const h = new EngineHarness();
    expect(h.exchange('ATE0\r')).toBe('ATE0\r\r\nOK\r\n');
    expect(h.exchange('AT\r')).toBe(OK_);
    expect(h.exchange('ATE1\r')).toBe(OK_);
    expect(h.exchange('AT\r')).toBe('AT\r\r\nOK\r\n');
  });

  it('ATV0 gives numeric result codes and text information lines ended by CRLF', () => {
    const h = readyHarness();
    expect(h.exchange('ATV0\r')).toBe('0\r');
    expect(h.exchange('AT+NOPE\r')).toBe('4\r');
    expect(h.exchange('AT+CSQ\r')).toBe('+CSQ: 20,99\r\n0\r');
    expect(h.exchange('AT+CPIN="1"\r')).toBe('+CME ERROR: 3\r\n');
    expect(h.exchange('ATV1\r')).toBe(OK_);
  });

  it('ATQ1 suppresses result codes but not information text', () => {
    const h = readyHarness();
    expect(h.exchange('ATQ1\r')).toBe('');
    expect(h.exchange('AT+CSQ\r')).toBe(info('+CSQ: 20,99'));
    expect(h.exchange('ATQ0\r')).toBe(OK_);
  });

  it('runs several commands of one line in order, case-insensitively, with one final result', () => {
    const h = readyHarness();
    expect(h.exchange('at+cmee=2;+creg=2;+cmee?;+creg?\r')).toBe(info('+CMEE: 2') + info('+CREG: 2,1,"1A2B","01A2B3C4",7') + OK_);
    expect(h.exchange('ATE0V1Q0X4&C1&D2 S0=0 L1M0\r')).toBe(OK_);
  });

  it('answers ERROR to unknown commands and stops the line at the first error', () => {
    const h = readyHarness();
    expect(h.exchange('AT+NOPE\r')).toBe(ERROR_);
    expect(h.exchange('ATY\r')).toBe(ERROR_);
    expect(h.exchange('AT+CMEE=2;+NOPE;+CMEE=0\r')).toBe(ERROR_);
    expect(h.exchange('AT+CMEE?\r')).toBe(info('+CMEE: 2') + OK_);
    expect(h.exchange('ATD+491234;\r')).toBe(ERROR_);
    expect(h.exchange('AT+CSQ X\r')).toBe(ERROR_);
  });

  it('ignores lines without the AT prefix and characters before it', () => {
    const h = new EngineHarness();
    expect(h.exchange('hello\r')).toBe('hello\r');
    expect(h.exchange('\u0000xyAT\r')).toBe('xyAT\r\r\nOK\r\n');
    expect(h.exchange('\u001a\u001bAT\r')).toBe('AT\r\r\nOK\r\n'); // Ctrl-Z/ESC outside the prompt are dropped
  });

  it('edits with backspace (S5) and repeats the last line with A/ (V.250 §6.2.4)', () => {
    const h = new EngineHarness();
    expect(h.exchange('AT+CSX\bQ\r')).toBe('AT+CSX\bQ\r' + info('+CSQ: 20,99') + OK_);
    expect(h.exchange('A/')).toBe('A/' + info('+CSQ: 20,99') + OK_);
  });

  it('reads and writes S-registers and answers ERROR to a line longer than the limit', () => {
    const h = readyHarness({ maxCommandLineChars: 16 });
    expect(h.exchange('ATS3?\r')).toBe(info('013') + OK_);
    expect(h.exchange('ATS7=45;S7?\r')).toBe(info('045') + OK_);
    expect(h.exchange(`AT${'E0'.repeat(20)}\r`)).toBe(ERROR_);
    expect(h.exchange('AT\r')).toBe(OK_);
  });

  it('ATZ and AT&F restore echo, verbose codes and CMEE', () => {
    const h = readyHarness();
    h.exchange('ATV0\r');
    expect(h.exchange('ATZ\r')).toBe(OK_);
    expect(h.exchange('AT+CMEE?\r')).toBe('AT+CMEE?\r' + info('+CMEE: 0') + OK_);
    h.exchange('ATE0;+CMEE=2\r');
    expect(h.exchange('AT&F\r')).toBe(OK_);
    expect(h.engine.status.cmee).toBe(0);
    expect(h.engine.status.echo).toBe(true);
  });

  it('gives the same bytes whether the host writes a transcript whole or byte by byte', () => {
    const transcript = 'AT\rATE1;+CMEE=1\rAT+CPIN?\rAT+CGMI;+CGMM\rAT+NOPE\rATI\rAT+CSQ\r';
    const whole = readyHarness();
    whole.send(transcript);
    const single = readyHarness();
    for (const ch of transcript) single.send(ch);
    expect(single.take()).toBe(whole.take());
  });
});

describe('identification', () => {
  it('answers the profile identity, IMEI, IMSI and own number', () => {
    const h = readyHarness({ profile: 'ec25', msisdn: '+4915112345678', imei: '867698041234567', imsi: '262011234567890' });
    expect(h.exchange('ATI\r')).toBe(info('Quectel', 'EC25', 'Revision: EC25EFAR06A06M4G') + OK_);
    expect(h.exchange('AT+CGMI\r')).toBe(info('Quectel') + OK_);
    expect(h.exchange('AT+GMM\r')).toBe(info('EC25') + OK_);
    expect(h.exchange('AT+CGMR\r')).toBe(info('EC25EFAR06A06M4G') + OK_);
    expect(h.exchange('AT+CGSN\r')).toBe(info('867698041234567') + OK_);
    expect(h.exchange('AT+GSN\r')).toBe(info('867698041234567') + OK_);
    expect(h.exchange('AT+CIMI\r')).toBe(info('262011234567890') + OK_);
    expect(h.exchange('AT+CNUM\r')).toBe(info('+CNUM: ,"+4915112345678",145') + OK_);
  });

  it('prints Huawei and SIMCom identities', () => {
    expect(readyHarness({ profile: 'huawei', imei: '111' }).exchange('ATI\r')).toBe(
      info('Manufacturer: huawei', 'Model: E3372', 'Revision: 22.200.15.00.00', 'IMEI: 111', '+GCAP: +CGSM,+DS,+ES') + OK_,
    );
    expect(readyHarness({ profile: 'sim800' }).exchange('AT+CGMM;I\r')).toBe(info('SIMCOM_SIM800L') + info('SIM800 R14.18') + OK_);
  });

  it('AT+CNUM without a known number answers just OK', () => {
    expect(readyHarness().exchange('AT+CNUM\r')).toBe(OK_);
  });
});

describe('+CMEE error reporting (TS 27.007 §9.1)', () => {
  it('reports a SIM error plain, numeric or verbose', () => {
    const h = readyHarness({ pin: '1234' });
    expect(h.exchange('AT+CMEE=0;+CIMI\r')).toBe(ERROR_);
    expect(h.exchange('AT+CMEE=1;+CIMI\r')).toBe('\r\n+CME ERROR: 11\r\n');
    expect(h.exchange('AT+CMEE=2;+CIMI\r')).toBe('\r\n+CME ERROR: SIM PIN required\r\n');
    expect(h.exchange('AT+CMGL=4\r')).toBe('\r\n+CMS ERROR: (U)SIM PIN required\r\n');
    expect(h.exchange('AT+CMEE=1;+CMGL=4\r')).toBe('\r\n+CMS ERROR: 311\r\n');
    expect(h.exchange('AT+CMEE=?\r')).toBe(info('+CMEE: (0-2)') + OK_);
    expect(h.exchange('AT+CMEE=3\r')).toBe('\r\n+CME ERROR: 50\r\n');
  });
});

describe('SIM (TS 27.007 §8.3)', () => {
  it('asks for the PIN, accepts the right one and announces READY', () => {
    const h = readyHarness({ pin: '1234' });
    expect(h.exchange('AT+CPIN?\r')).toBe(info('+CPIN: SIM PIN') + OK_);
    expect(h.exchange('AT+CPIN="1234"\r')).toBe(OK_ + info('+CPIN: READY'));
    expect(h.exchange('AT+CPIN?\r')).toBe(info('+CPIN: READY') + OK_);
    expect(h.exchange('AT+CPIN="1234"\r')).toBe('\r\n+CME ERROR: 3\r\n');
    expect(h.engine.status.regStat).toBe(2);
    h.scheduler.advance(20);
    expect(h.engine.status.regStat).toBe(1);
  });

  it('three wrong PINs block the SIM; the PUK unblocks it with a new PIN that survives a reboot', () => {
    const h = readyHarness({ pin: '1234', puk: '87654321' });
    for (let i = 0; i < 3; i++) expect(h.exchange('AT+CPIN="0000"\r')).toBe('\r\n+CME ERROR: 16\r\n');
    expect(h.exchange('AT+CPIN?\r')).toBe(info('+CPIN: SIM PUK') + OK_);
    expect(h.exchange('AT+CPIN="1234"\r')).toBe('\r\n+CME ERROR: 12\r\n');
    expect(h.exchange('AT+CIMI\r')).toBe('\r\n+CME ERROR: 12\r\n');
    expect(h.exchange('AT+CMGL=4\r')).toBe('\r\n+CMS ERROR: 316\r\n');
    expect(h.exchange('AT+CPIN="11111111","4321"\r')).toBe('\r\n+CME ERROR: 16\r\n');
    expect(h.exchange('AT+CPIN="87654321","4321"\r')).toBe(OK_ + info('+CPIN: READY'));
    h.engine.reboot();
    h.scheduler.advance(1000);
    h.take();
    h.send('ATE0;+CMEE=1\r');
    h.take();
    expect(h.exchange('AT+CPIN?\r')).toBe(info('+CPIN: SIM PIN') + OK_);
    expect(h.exchange('AT+CPIN="1234"\r')).toBe('\r\n+CME ERROR: 16\r\n');
    expect(h.exchange('AT+CPIN="4321"\r')).toBe(OK_ + info('+CPIN: READY'));
  });

  it('ten wrong PUKs make the SIM fail', () => {
    const h = readyHarness({ pin: '1234' });
    for (let i = 0; i < 3; i++) h.exchange('AT+CPIN="0000"\r');
    for (let i = 0; i < 10; i++) expect(h.exchange('AT+CPIN="0","1"\r')).toBe('\r\n+CME ERROR: 16\r\n');
    expect(h.exchange('AT+CPIN?\r')).toBe('\r\n+CME ERROR: 13\r\n');
  });

  it('a late SIM answers +CME ERROR: 14 (busy) first', () => {
    const h = new EngineHarness({ lateSimMs: 500 });
    h.send('ATE0;+CMEE=1\r');
    h.take();
    expect(h.exchange('AT+CPIN?\r')).toBe('\r\n+CME ERROR: 14\r\n');
    expect(h.exchange('AT+CMGL=4\r')).toBe('\r\n+CMS ERROR: 314\r\n');
    h.scheduler.advance(500);
    expect(h.exchange('AT+CPIN?\r')).toBe(info('+CPIN: READY') + OK_);
  });

  it('without a SIM: +CME ERROR: 10 and +CMS ERROR: 310', () => {
    const h = readyHarness({ simPresent: false });
    expect(h.exchange('AT+CPIN?\r')).toBe('\r\n+CME ERROR: 10\r\n');
    expect(h.exchange('AT+CIMI\r')).toBe('\r\n+CME ERROR: 10\r\n');
    expect(h.exchange('AT+CMGS=10\r')).toBe('\r\n+CMS ERROR: 310\r\n');
    expect(h.exchange('AT+CREG?\r')).toBe(info('+CREG: 0,0') + OK_);
  });

  it('SMS commands answer 314 while the SIM initialises after the PIN', () => {
    const h = readyHarness({ pin: '1234', simInitMs: 3000 });
    h.exchange('AT+CPIN="1234"\r');
    expect(h.exchange('AT+CPMS?\r')).toBe('\r\n+CMS ERROR: 314\r\n');
    h.scheduler.advance(3000);
    expect(h.exchange('AT+CPMS?\r')).toBe(info('+CPMS: "SM",0,30,"SM",0,30,"SM",0,30') + OK_);
  });
});

describe('network registration (TS 27.007 §7.2, §7.3, §8.2, §8.5)', () => {
  it('searches, then registers; +CREG/+CGREG/+CEREG read forms', () => {
    const h = new EngineHarness();
    h.send('ATE0\r');
    h.take();
    expect(h.exchange('AT+CREG?\r')).toBe(info('+CREG: 0,2') + OK_);
    h.scheduler.advance(20);
    expect(h.exchange('AT+CREG?;+CGREG?;+CEREG?\r')).toBe(info('+CREG: 0,1') + info('+CGREG: 0,1') + info('+CEREG: 0,1') + OK_);
    expect(h.exchange('AT+CEREG=2;+CEREG?\r')).toBe(info('+CEREG: 2,1,"1A2B","01A2B3C4",7') + OK_);
    expect(h.exchange('AT+CREG=?\r')).toBe(info('+CREG: (0-2)') + OK_);
  });

  it('emits +CREG URCs per <n> when the registration changes', () => {
    const h = readyHarness();
    expect(h.exchange('AT+CREG=1;+CGREG=2\r')).toBe(OK_);
    expect(h.exchange('AT+CFUN=0\r')).toBe(OK_ + info('+CREG: 0') + info('+CGREG: 0'));
    expect(h.exchange('AT+CFUN?;+CSQ\r')).toBe(info('+CFUN: 0') + info('+CSQ: 99,99') + OK_);
    expect(h.exchange('AT+CFUN=1\r')).toBe(OK_ + info('+CREG: 2') + info('+CGREG: 2'));
    h.scheduler.advance(20);
    expect(h.take()).toBe(info('+CREG: 1') + info('+CGREG: 1,"1A2B","01A2B3C4",7'));
    h.engine.setRegistration('roaming');
    expect(h.take()).toBe(info('+CREG: 5') + info('+CGREG: 5,"1A2B","01A2B3C4",7'));
    h.engine.setRegistration('denied');
    expect(h.take()).toBe(info('+CREG: 3') + info('+CGREG: 3'));
  });

  it('+COPS and +CSQ', () => {
    const h = readyHarness({ rssi: 17 });
    expect(h.exchange('AT+COPS?\r')).toBe(info('+COPS: 0,0,"SimNet",7') + OK_);
    expect(h.exchange('AT+COPS=3,2;+COPS?\r')).toBe(info('+COPS: 0,2,"00101",7') + OK_);
    expect(h.exchange('AT+COPS=?\r')).toBe(info('+COPS: (2,"SimNet","SimNet","00101",7),,(0-4),(0-2)') + OK_);
    expect(h.exchange('AT+CSQ\r')).toBe(info('+CSQ: 17,99') + OK_);
    h.engine.setSignal(9);
    expect(h.exchange('AT+CSQ\r')).toBe(info('+CSQ: 9,99') + OK_);
    expect(h.exchange('AT+COPS=2\r')).toBe(OK_);
    expect(h.exchange('AT+COPS?\r')).toBe(info('+COPS: 0') + OK_);
    expect(h.exchange('AT+COPS=0\r')).toBe(OK_);
    h.scheduler.advance(20);
    expect(h.exchange('AT+COPS?\r')).toBe(info('+COPS: 0,2,"00101",7') + OK_);
    expect(h.exchange('AT+COPS=1,0,"Other"\r')).toBe('\r\n+CME ERROR: 32\r\n');
  });

  it('GSM-only SIM800 has no +CEREG, no AcT and 16-bit cell ids', () => {
    const h = readyHarness({ profile: 'sim800' });
    expect(h.exchange('AT+CEREG?\r')).toBe(ERROR_);
    expect(h.exchange('AT+CREG=2;+CREG?;+COPS?\r')).toBe(info('+CREG: 2,1,"1A2B","B3C4"') + info('+COPS: 0,0,"SimNet"') + OK_);
  });
});

describe('reboot (AT+CFUN=1,1)', () => {
  it('answers OK, is deaf until the banner, then starts over with defaults', () => {
    const h = readyHarness({ pin: '1234', rebootDelayMs: 300 });
    h.exchange('AT+CPIN="1234";+CMEE=2;+CNMI=2,1,0,2,0;+CMGF=1\r');
    expect(h.exchange('AT+CFUN=1,1\r')).toBe(OK_);
    expect(h.exchange('AT\r')).toBe('');
    h.scheduler.advance(300);
    expect(h.take()).toBe(info('RDY'));
    expect(h.exchange('AT\r')).toBe('AT\r\r\nOK\r\n');
    expect(h.exchange('AT+CPIN?;+CMEE?;+CNMI?;+CMGF?\r')).toBe(
      'AT+CPIN?;+CMEE?;+CNMI?;+CMGF?\r' + info('+CPIN: SIM PIN') + info('+CMEE: 0') + info('+CNMI: 0,0,0,0,0') + info('+CMGF: 0') + OK_,
    );
    expect(h.engine.stats.discardedInputBytes).toBe(3);
  });

  it('plays the profile banner with its delays (SIM800: RDY … Call Ready, SMS Ready)', () => {
    const h = readyHarness({ profile: 'sim800' });
    h.engine.reboot();
    h.scheduler.advance(300);
    expect(h.take()).toBe(info('RDY') + info('+CFUN: 1') + info('+CPIN: READY'));
    h.scheduler.advance(60);
    expect(h.take()).toBe(info('Call Ready') + info('SMS Ready'));
  });

  it('EC25 with a PIN announces SIM PIN in its banner; a late SIM is announced when it appears', () => {
    const h = readyHarness({ profile: 'ec25', pin: '1' });
    h.engine.reboot();
    h.scheduler.advance(400);
    expect(h.take()).toBe(info('RDY') + info('+CPIN: SIM PIN') + info('+QUSIM: 1') + info('+QIND: SMS DONE') + info('+QIND: PB DONE'));
    const late = readyHarness({ profile: 'ec25', lateSimMs: 1000 });
    late.engine.reboot();
    late.scheduler.advance(400);
    expect(late.take()).toBe(info('RDY') + info('+QUSIM: 1') + info('+QIND: SMS DONE') + info('+QIND: PB DONE'));
    late.scheduler.advance(1000);
    expect(late.take()).toBe(info('+CPIN: READY'));
  });
});

describe('Huawei', () => {
  it('boots with ^BOOT, emits ^RSSI periodically, and AT^CURC=0 silences it', () => {
    const h = readyHarness({ profile: 'huawei', rssi: 23 });
    h.scheduler.advance(4000);
    expect(h.take()).toBe(info('^RSSI: 23'));
    expect(h.exchange('AT^CURC=0;^CURC?\r')).toBe(info('^CURC: 0') + OK_);
    h.scheduler.advance(10_000);
    expect(h.take()).toBe('');
    h.engine.reboot();
    h.scheduler.advance(310);
    expect(h.take()).toBe(info('^BOOT:24374563,0,0,0,75') + info('^SIMST: 1'));
    expect(readyHarness().exchange('AT^CURC=0\r')).toBe(ERROR_);
  });
});

describe('faults', () => {
  it('drops the whole answer of the next N lines, echo included only as typed', () => {
    const h = new EngineHarness();
    h.engine.dropNextResponses(2);
    expect(h.exchange('AT\r')).toBe('AT\r');
    expect(h.exchange('AT+CSQ\r')).toBe('AT+CSQ\r');
    expect(h.exchange('AT\r')).toBe('AT\r\r\nOK\r\n');
  });

  it('delays every byte, keeping the order', () => {
    const h = readyHarness();
    h.engine.setResponseDelayMs(100);
    expect(h.exchange('AT\r')).toBe('');
    h.scheduler.advance(50);
    h.engine.emitUrc('+X: 1');
    h.scheduler.advance(50);
    expect(h.take()).toBe(OK_);
    h.scheduler.advance(50);
    expect(h.take()).toBe(info('+X: 1'));
  });

  it('hangs until un-hung: nothing in, nothing out, deliveries refused', () => {
    const h = readyHarness();
    h.engine.setHung(true);
    expect(h.exchange('AT\r')).toBe('');
    h.deliver('deliver', '07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37');
    expect(h.acks).toEqual([{ ok: false, cause: 22 }]);
    h.engine.setHung(false);
    expect(h.exchange('AT\r')).toBe(OK_);
  });

  it('never writes a URC inside a half-typed line; it follows the line', () => {
    const h = new EngineHarness();
    h.scheduler.advance(100);
    expect(h.exchange('AT+CS')).toBe('AT+CS');
    h.engine.emitUrc('+CREG: 1');
    expect(h.take()).toBe('');
    expect(h.exchange('Q\r')).toBe('Q\r' + info('+CSQ: 20,99') + OK_ + info('+CREG: 1'));
  });

  it('can put a URC between a command and its final result', () => {
    const h = readyHarness();
    h.engine.injectUrcBeforeNextFinal('+CMTI: "SM",4');
    expect(h.exchange('AT+CSQ\r')).toBe(info('+CSQ: 20,99') + info('+CMTI: "SM",4') + OK_);
  });

  it('writes raw garbage', () => {
    const h = readyHarness();
    h.engine.writeRaw('\u0000\u00ff garbage');
    expect(h.take()).toBe('\u0000\u00ff garbage');
  });

  it('disposes without leaving timers and refuses what was unacknowledged', () => {
    const h = readyHarness({ profile: 'huawei' });
    h.exchange('AT+CSMS=1;+CNMI=2,2,0,0,0\r');
    h.deliver('deliver', '07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37');
    h.engine.dispose();
    expect(h.acks).toEqual([{ ok: false, cause: 22 }]);
    expect(h.scheduler.pending).toBe(0);
    expect(h.exchange('AT\r')).toBe('');
    expect(h.engine.stats.internalErrors).toBe(0);
  });
});
