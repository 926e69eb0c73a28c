/**
 * SMS commands of the simulated modem (TS 27.005), byte-exact: sending with the prompt, storage
 * commands, CNMI routing, CNMA, status reports, full storages, text mode and profile quirks.
 */
import { describe, expect, it } from 'vitest';
import { decodePdu } from '../../../../src/sms/index.ts';
import {
  DELIVER_8BIT_CLASS1_F5,
  DELIVER_CLASSIC,
  REPORT_PYTHON_GSMMODEM,
  SUBMIT_HOWDY,
  tpduLengthOf,
} from '../../../fixtures/pdu/vectors.ts';
import { SIM_PROFILES } from '../../../../src/sim/modem/profiles.ts';
import { ERROR_, OK_, PROMPT, info, readyHarness } from './engine-harness.ts';

/** DELIVER_CLASSIC with TP-DCS 0x12 (GSM 7-bit, class 2) or 0x13 (class 3); TP-DCS is octet 18. */
const withDcs = (dcs: string): string => `${DELIVER_CLASSIC.hex.slice(0, 36)}${dcs}${DELIVER_CLASSIC.hex.slice(38)}`;
const DELIVER_CLASS2 = withDcs('12');
const DELIVER_CLASS3 = withDcs('13');
const cms = (code: number): string => `\r\n+CMS ERROR: ${code}\r\n`;

describe('AT+CMGS in PDU mode (TS 27.005 §3.5.1)', () => {
  it('prompts, reads the PDU up to Ctrl-Z, submits with its own TP-MR and answers +CMGS', async () => {
    const h = readyHarness();
    h.exchange('ATE1\r');
    expect(h.exchange('AT+CMGS=24\r')).toBe(`AT+CMGS=24\r${PROMPT}`);
    expect(h.exchange(`${SUBMIT_HOWDY.hex}\u001a`)).toBe(SUBMIT_HOWDY.hex);
    await h.settle();
    expect(h.take()).toBe(info('+CMGS: 0') + OK_);
    // The SMSC field is stripped and TP-MR (octet 2 of the TPDU) overwritten with the counter.
    expect(h.network.submitted).toEqual([SUBMIT_HOWDY.hex.slice(2)]);
    expect(h.engine.stats).toMatchObject({ smsSubmitted: 1, smsSent: 1 });
  });

  it('wraps TP-MR from 255 to 0', async () => {
    const h = readyHarness({ messageReferenceStart: 254 });
    const mrs: string[] = [];
    for (let i = 0; i < 4; i++) {
      h.exchange('AT+CMGS=24\r');
      h.send(`${SUBMIT_HOWDY.hex}\u001a`);
      await h.settle();
      mrs.push(h.take());
    }
    expect(mrs).toEqual([254, 255, 0, 1].map((mr) => info(`+CMGS: ${mr}`) + OK_));
    expect(h.network.submitted.map((tpdu) => tpdu.slice(2, 4))).toEqual(['FE', 'FF', '00', '01']);
  });

  it('waits cmgsLatencyMs after the network accepted', async () => {
    const h = readyHarness({ cmgsLatencyMs: 1500 });
    h.exchange('AT+CMGS=24\r');
    h.send(`${SUBMIT_HOWDY.hex}\u001a`);
    await h.settle(1499);
    expect(h.take()).toBe('');
    await h.settle(1);
    expect(h.take()).toBe(info('+CMGS: 0') + OK_);
  });

  it('rejects a wrong length, bad hex or a non-SUBMIT PDU with 304', () => {
    const h = readyHarness();
    expect(h.exchange('AT+CMGS=23\r')).toBe(PROMPT);
    expect(h.exchange(`${SUBMIT_HOWDY.hex}\u001a`)).toBe(cms(304));
    h.exchange('AT+CMGS=24\r');
    expect(h.exchange(`${SUBMIT_HOWDY.hex.slice(0, -1)}Z\u001a`)).toBe(cms(304));
    h.exchange(`AT+CMGS=${tpduLengthOf(DELIVER_CLASSIC)}\r`);
    expect(h.exchange(`${DELIVER_CLASSIC.hex}\u001a`)).toBe(cms(304));
    expect(h.exchange('AT+CMGS=0\r')).toBe(cms(304));
    expect(h.exchange('AT+CMGS=165\r')).toBe(cms(304));
    expect(h.network.submitted).toEqual([]);
  });

  it('ESC at the prompt aborts with OK and sends nothing; the modem then takes commands again', () => {
    const h = readyHarness();
    h.exchange('AT+CMGS=24\r');
    expect(h.exchange('0011\u001b')).toBe(OK_);
    expect(h.exchange('AT\r')).toBe(OK_);
    expect(h.network.submitted).toEqual([]);
  });

  it('reports the network cause, 331 without network or registration, 332 on timeout, 330 without SMSC', async () => {
    const h = readyHarness({ submitTimeoutMs: 5000 });
    h.network.autoAccept = false;
    h.exchange('AT+CMGS=24\r');
    h.send(`${SUBMIT_HOWDY.hex}\u001a`);
    h.network.answer({ ok: false, cause: 38 });
    await h.settle();
    expect(h.take()).toBe(cms(38));
    h.exchange('AT+CMGS=24\r');
    h.send(`${SUBMIT_HOWDY.hex}\u001a`);
    await h.settle(5000);
    expect(h.take()).toBe(cms(332));
    h.network.answer({ ok: true }); // too late: ignored
    await h.settle();
    expect(h.take()).toBe('');

    h.exchange('AT+CSCA=""\r');
    h.exchange('AT+CMGS=24\r');
    expect(h.exchange(`${SUBMIT_HOWDY.hex}\u001a`)).toBe(cms(330));

    const standalone = readyHarness({}, false);
    standalone.exchange('AT+CMGS=24\r');
    expect(standalone.exchange(`${SUBMIT_HOWDY.hex}\u001a`)).toBe(cms(331));
    h.engine.setRegistration('denied');
    h.exchange('AT+CSCA="+491710760000"\r');
    h.exchange('AT+CMGS=24\r');
    expect(h.exchange(`${SUBMIT_HOWDY.hex}\u001a`)).toBe(cms(331));
  });

  it('writes URCs at the prompt, but not inside the PDU being typed', async () => {
    const h = readyHarness();
    h.exchange('ATE1;+CNMI=2,1,0,0,0\r');
    h.engine.injectUrcBeforeNextPrompt('+CREG: 1');
    expect(h.exchange('AT+CMGS=24\r')).toBe(`AT+CMGS=24\r${info('+CREG: 1')}${PROMPT}`);
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe(info('+CMTI: "SM",1'));
    expect(h.exchange(SUBMIT_HOWDY.hex.slice(0, 10))).toBe(SUBMIT_HOWDY.hex.slice(0, 10));
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe('');
    h.send(`${SUBMIT_HOWDY.hex.slice(10)}\u001a`);
    expect(h.take()).toBe(SUBMIT_HOWDY.hex.slice(10) + info('+CMTI: "SM",2'));
    await h.settle();
    expect(h.take()).toBe(info('+CMGS: 0') + OK_);
  });

  it('processes commands typed while waiting for the network after the answer', async () => {
    const h = readyHarness();
    h.network.autoAccept = false;
    h.exchange('AT+CMGS=24\r');
    h.send(`${SUBMIT_HOWDY.hex}\u001aAT+CSQ\r`);
    expect(h.take()).toBe('');
    h.network.answer({ ok: true });
    await h.settle();
    expect(h.take()).toBe(info('+CMGS: 0') + OK_ + info('+CSQ: 20,99') + OK_);
  });

  it('SIM800 cannot send while its SIM storage is full (smstools receive_before_send)', async () => {
    const full = readyHarness({ profile: 'sim800' });
    full.engine.fillStorage('SM');
    full.exchange('AT+CMGS=24\r');
    expect(full.exchange(`${SUBMIT_HOWDY.hex}\u001a`)).toBe(cms(322));
    const generic = readyHarness();
    generic.engine.fillStorage('SM');
    generic.exchange('AT+CMGS=24\r');
    generic.send(`${SUBMIT_HOWDY.hex}\u001a`);
    await generic.settle();
    expect(generic.take()).toBe(info('+CMGS: 0') + OK_);
  });
});

describe('storage commands', () => {
  it('lists, reads, marks read and deletes (TS 27.005 §3.4.2, §3.4.3, §3.5.4)', () => {
    const h = readyHarness();
    h.exchange('AT+CNMI=2,1,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    h.deliver('deliver', DELIVER_8BIT_CLASS1_F5.hex);
    expect(h.take()).toBe(info('+CMTI: "SM",1') + info('+CMTI: "SM",2'));
    expect(h.acks).toEqual([{ ok: true }, { ok: true }]);
    const len1 = tpduLengthOf(DELIVER_CLASSIC);
    const len2 = tpduLengthOf(DELIVER_8BIT_CLASS1_F5);
    expect(h.exchange('AT+CMGL=0\r')).toBe(info(`+CMGL: 1,0,,${len1}`, DELIVER_CLASSIC.hex, `+CMGL: 2,0,,${len2}`, DELIVER_8BIT_CLASS1_F5.hex) + OK_);
    expect(h.exchange('AT+CMGL\r')).toBe(OK_);
    expect(h.exchange('AT+CMGL=4\r')).toBe(info(`+CMGL: 1,1,,${len1}`, DELIVER_CLASSIC.hex, `+CMGL: 2,1,,${len2}`, DELIVER_8BIT_CLASS1_F5.hex) + OK_);
    expect(h.exchange('AT+CMGR=1\r')).toBe(info(`+CMGR: 1,,${len1}`, DELIVER_CLASSIC.hex) + OK_);
    expect(h.exchange('AT+CMGR=5\r')).toBe(OK_);
    expect(h.exchange('AT+CMGR=31\r')).toBe(cms(321));
    expect(h.exchange('AT+CMGD=?\r')).toBe(info('+CMGD: (1,2),(0-4)') + OK_);
    expect(h.exchange('AT+CMGD=1\r')).toBe(OK_);
    expect(h.exchange('AT+CMGD=1\r')).toBe(OK_);
    expect(h.exchange('AT+CMGD=0\r')).toBe(cms(321));
    expect(h.exchange('AT+CMGD=?\r')).toBe(info('+CMGD: (2),(0-4)') + OK_);
    expect(h.exchange('AT+CMGD=0,4\r')).toBe(OK_);
    expect(h.engine.status.used.SM).toBe(0);
    expect(h.exchange('AT+CMGL="ALL"\r')).toBe(cms(304));
  });

  it('CMGR shows REC UNREAD once, then REC READ', () => {
    const h = readyHarness();
    h.exchange('AT+CNMI=2,1,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    h.take();
    expect(h.exchange('AT+CMGR=1\r')).toContain('+CMGR: 0,,');
    expect(h.exchange('AT+CMGR=1\r')).toContain('+CMGR: 1,,');
  });

  it('+CPMS selects storages and reports use (TS 27.005 §3.2.2)', () => {
    const h = readyHarness();
    expect(h.exchange('AT+CPMS=?\r')).toBe(info('+CPMS: ("SM","ME","SR"),("SM","ME","SR"),("SM","ME")') + OK_);
    expect(h.exchange('AT+CPMS?\r')).toBe(info('+CPMS: "SM",0,30,"SM",0,30,"SM",0,30') + OK_);
    expect(h.exchange('AT+CPMS="ME","ME","ME"\r')).toBe(info('+CPMS: 0,100,0,100,0,100') + OK_);
    h.exchange('AT+CNMI=2,1,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe(info('+CMTI: "ME",1'));
    expect(h.exchange('AT+CPMS="sm"\r')).toBe(info('+CPMS: 0,30,1,100,1,100') + OK_);
    expect(h.exchange('AT+CPMS="SR","SR","SR"\r')).toBe(cms(302));
    expect(h.exchange('AT+CPMS="XX"\r')).toBe(cms(302));
  });

  it('AT+CMGD=<i>,1 deletes every received read message and keeps unread and MO ones (TS 27.005 §3.5.4)', () => {
    const h = readyHarness();
    h.exchange('AT+CNMI=2,1,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    h.take();
    expect(h.exchange('AT+CMGW=24\r')).toBe(PROMPT);
    expect(h.exchange(`${SUBMIT_HOWDY.hex}\u001a`)).toBe(info('+CMGW: 2') + OK_);
    const len1 = tpduLengthOf(DELIVER_CLASSIC);
    expect(h.exchange('AT+CMGL=0\r')).toBe(info(`+CMGL: 1,0,,${len1}`, DELIVER_CLASSIC.hex) + OK_); // now read
    h.deliver('deliver', DELIVER_8BIT_CLASS1_F5.hex); // arrives after the list: unread
    expect(h.take()).toBe(info('+CMTI: "SM",3'));
    // <index> is ignored with a delflag: 3 (the unread one) is not deleted.
    expect(h.exchange('AT+CMGD=3,1\r')).toBe(OK_);
    expect(h.engine.messages('SM').map((m) => [m.index, m.stat])).toEqual([[2, 2], [3, 0]]);
  });

  it('a profile without delete flags offers none in AT+CMGD=? and refuses one', () => {
    const h = readyHarness({ profile: { ...SIM_PROFILES.generic, deleteFlags: false } });
    h.exchange('AT+CNMI=2,1,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    h.take();
    expect(h.exchange('AT+CMGD=?\r')).toBe(info('+CMGD: (1)') + OK_);
    expect(h.exchange('AT+CMGD=1,1\r')).toBe(cms(304));
    expect(h.engine.status.used.SM).toBe(1);
    expect(h.exchange('AT+CMGD=1\r')).toBe(OK_);
    expect(h.engine.status.used.SM).toBe(0);
  });

  it('a profile that takes one command per line answers AT+CMGD=<i>,1;+CMGL=0 with ERROR: refuse runs none of it, first runs the delete', () => {
    const lines: Record<'refuse' | 'first', { reply: string; used: number }> = { refuse: { reply: '', used: -1 }, first: { reply: '', used: -1 } };
    for (const concatenation of ['refuse', 'first'] as const) {
      const h = readyHarness({ profile: { ...SIM_PROFILES.generic, concatenation } });
      h.exchange('ATE0\r'); // the harness's own `ATE0;+CMEE=1` was refused (or ran its first command only)
      h.exchange('AT+CMEE=1\r');
      h.exchange('AT+CNMI=2,1,0,0,0\r');
      h.deliver('deliver', DELIVER_CLASSIC.hex);
      h.take();
      h.exchange('AT+CMGL=0\r'); // now read
      lines[concatenation] = { reply: h.exchange('AT+CMGD=1,1;+CMGL=0\r'), used: h.engine.status.used.SM };
      expect(h.exchange('AT+CMGD=1,1\r')).toBe(OK_); // one command per line is taken
    }
    expect(lines).toEqual({ refuse: { reply: ERROR_, used: 1 }, first: { reply: ERROR_, used: 0 } });
  });

  it('the Quectel ME storage counts from 0 (gammu#550)', () => {
    const h = readyHarness({ profile: 'ec25' });
    h.exchange('AT+CPMS="ME","ME","ME";+CNMI=2,1,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe(info('+CMTI: "ME",0'));
  });

  it('AT+CMGW writes to <mem2> and AT+CMSS sends from it', async () => {
    const h = readyHarness({ messageReferenceStart: 7 });
    expect(h.exchange('AT+CMGW=24\r')).toBe(PROMPT);
    expect(h.exchange(`${SUBMIT_HOWDY.hex}\u001a`)).toBe(info('+CMGW: 1') + OK_);
    expect(h.exchange('AT+CMGL=2\r')).toBe(info('+CMGL: 1,2,,24', SUBMIT_HOWDY.hex) + OK_);
    h.exchange('AT+CMSS=1\r');
    await h.settle();
    expect(h.take()).toBe(info('+CMSS: 7') + OK_);
    expect(h.exchange('AT+CMGL=3\r')).toBe(info('+CMGL: 1,3,,24', SUBMIT_HOWDY.hex) + OK_);
    expect(h.exchange('AT+CMSS=9\r')).toBe(cms(321));
    expect(h.network.submitted[0]?.slice(2, 4)).toBe('07');
  });

  it('settings: +CSMS, +CSCA, +CMGF, +CMMS, +CSMP, +CSDH', () => {
    const h = readyHarness();
    expect(h.exchange('AT+CSMS=?;+CSMS?\r')).toBe(info('+CSMS: (0,1)') + info('+CSMS: 0,1,1,1') + OK_);
    expect(h.exchange('AT+CSMS=1\r')).toBe(info('+CSMS: 1,1,1') + OK_);
    expect(h.exchange('AT+CSCA?\r')).toBe(info('+CSCA: "+491710760000",145') + OK_);
    expect(h.exchange('AT+CSCA="+4917000",145;+CSCA?\r')).toBe(info('+CSCA: "+4917000",145') + OK_);
    expect(h.exchange('AT+CMGF=?;+CMGF?\r')).toBe(info('+CMGF: (0,1)') + info('+CMGF: 0') + OK_);
    expect(h.exchange('AT+CMMS=2;+CMMS?\r')).toBe(info('+CMMS: 2') + OK_);
    expect(h.exchange('AT+CSMP?\r')).toBe(info('+CSMP: 17,167,0,0') + OK_);
    expect(h.exchange('AT+CSDH=?\r')).toBe(info('+CSDH: (0,1)') + OK_);
    expect(h.exchange('AT+CMGF=2\r')).toBe(cms(304));
  });
});

describe('incoming SMS per +CNMI (TS 27.005 §3.4.1)', () => {
  it('answers +CNMI=? from the profile and refuses values outside it', () => {
    expect(readyHarness().exchange('AT+CNMI=?\r')).toBe(info('+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)') + OK_);
    const sim800 = readyHarness({ profile: 'sim800' });
    expect(sim800.exchange('AT+CNMI=?;+CNMI?\r')).toBe(info('+CNMI: (0-3),(0-3),(0,2),(0,1),(0,1)') + info('+CNMI: 2,1,0,0,0') + OK_);
    expect(sim800.exchange('AT+CNMI=2,1,0,2,0\r')).toBe(cms(303));
    expect(sim800.exchange('AT+CNMI=2,4\r')).toBe(cms(303));
  });

  it('mt=0 stores silently; mt=2 routes +CMT and acknowledges itself with CSMS=0', () => {
    const h = readyHarness();
    h.exchange('AT+CNMI=2,0,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe('');
    expect(h.engine.status.used.SM).toBe(1);
    h.exchange('AT+CNMI=2,2,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe(info(`+CMT: ,${tpduLengthOf(DELIVER_CLASSIC)}`, DELIVER_CLASSIC.hex));
    expect(h.acks).toEqual([{ ok: true }, { ok: true }]);
    expect(h.engine.status.used.SM).toBe(1);
    expect(h.exchange('AT+CNMA\r')).toBe(cms(340));
  });

  it('class 2 always goes to the SIM; mt=3 routes only class 3', () => {
    const h = readyHarness();
    h.exchange('AT+CPMS="ME","ME","ME";+CNMI=2,2,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASS2);
    expect(h.take()).toBe(info('+CMTI: "SM",1'));
    h.exchange('AT+CNMI=2,3,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASS3);
    expect(h.take()).toBe(info(`+CMT: ,${tpduLengthOf(DELIVER_CLASSIC)}`, DELIVER_CLASS3));
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe(info('+CMTI: "ME",1'));
  });

  it('with CSMS=1 each +CMT waits for AT+CNMA; the next one is held meanwhile', () => {
    const h = readyHarness();
    h.exchange('AT+CSMS=1;+CNMI=2,2,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    h.deliver('deliver', DELIVER_CLASS3);
    expect(h.take()).toBe(info(`+CMT: ,${tpduLengthOf(DELIVER_CLASSIC)}`, DELIVER_CLASSIC.hex));
    expect(h.acks).toEqual([]);
    expect(h.exchange('AT+CNMA\r')).toBe(OK_ + info(`+CMT: ,${tpduLengthOf(DELIVER_CLASSIC)}`, DELIVER_CLASS3));
    expect(h.acks).toEqual([{ ok: true }]);
    expect(h.exchange('AT+CNMA=2\r')).toBe(OK_);
    expect(h.acks).toEqual([{ ok: true }, { ok: false, cause: 111 }]);
    expect(h.exchange('AT+CNMA=0\r')).toBe(cms(340));
  });

  it('without AT+CNMA in cnmaTimeoutMs the modem refuses (network retries) and stops routing', () => {
    const h = readyHarness({ cnmaTimeoutMs: 15_000 });
    h.exchange('AT+CSMS=1;+CNMI=2,2,0,1,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    h.take();
    h.scheduler.advance(14_999);
    expect(h.acks).toEqual([]);
    h.scheduler.advance(1);
    expect(h.acks).toEqual([{ ok: false, cause: 22 }]);
    expect(h.exchange('AT+CNMI?\r')).toBe(info('+CNMI: 2,0,0,0,0') + OK_);
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe('');
    expect(h.engine.stats).toMatchObject({ cnmaTimeouts: 1, smsReceived: 1, deliveriesRefused: 1 });
  });

  it('AT+CNMI changed while a +CMT waits for AT+CNMA: that one is still acknowledged; what the network sends next meets the new <mt>', () => {
    const h = readyHarness();
    h.exchange('AT+CSMS=1;+CPMS="ME","ME","ME";+CNMI=2,2,0,2,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    h.deliver('deliver', DELIVER_CLASS3); // held by the network until the first is acknowledged
    expect(h.take()).toBe(info(`+CMT: ,${tpduLengthOf(DELIVER_CLASSIC)}`, DELIVER_CLASSIC.hex));
    // Direct → stored with the +CMT unacknowledged (TS 27.005 §3.4.4: the acknowledgement is of
    // that message; §3.4.1: the next one is routed by the setting in force when it comes).
    expect(h.exchange('AT+CNMI=2,1,0,2,0\r')).toBe(OK_);
    expect(h.acks).toEqual([]);
    expect(h.exchange('AT+CNMA\r')).toBe(OK_ + info('+CMTI: "ME",1'));
    expect(h.acks).toEqual([{ ok: true }, { ok: true }]); // stored: the ME acknowledged it itself
    expect(h.exchange('AT+CNMA\r')).toBe(cms(340)); // nothing waits for an acknowledgement
    // Stored → direct: what is stored stays stored, unannounced again; new ones come as +CMT.
    expect(h.exchange('AT+CNMI=2,2,0,2,0\r')).toBe(OK_);
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe(info(`+CMT: ,${tpduLengthOf(DELIVER_CLASSIC)}`, DELIVER_CLASSIC.hex));
    expect(h.exchange('AT+CNMA\r')).toBe(OK_);
    expect(h.engine.status.used.ME).toBe(1);
    expect(h.engine.stats).toMatchObject({ smsReceived: 3, deliveriesRefused: 0, cnmaTimeouts: 0 });
  });

  it('mode 0 keeps indications in the TA until mode 1..3 is set (bfr 0 flushes, bfr 1 clears)', () => {
    const h = readyHarness();
    h.exchange('AT+CNMI=0,1,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe('');
    expect(h.exchange('AT+CNMI=2,1,0,0,0\r')).toBe(OK_ + info('+CMTI: "SM",1') + info('+CMTI: "SM",2'));
    h.exchange('AT+CNMI=0,1,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.exchange('AT+CNMI=1,1,0,0,1\r')).toBe(OK_);
  });

  it('status reports: ds=1 routes +CDS (with CNMA under CSMS=1), ds=2 stores and says +CDSI', () => {
    const h = readyHarness();
    const len = tpduLengthOf(REPORT_PYTHON_GSMMODEM);
    h.exchange('AT+CSMS=1;+CNMI=2,1,0,1,0\r');
    h.deliver('status-report', REPORT_PYTHON_GSMMODEM.hex);
    expect(h.take()).toBe(info(`+CDS: ${len}`, REPORT_PYTHON_GSMMODEM.hex));
    expect(h.exchange('AT+CNMA\r')).toBe(OK_);
    h.exchange('AT+CNMI=2,1,0,2,0\r');
    h.deliver('status-report', REPORT_PYTHON_GSMMODEM.hex);
    expect(h.take()).toBe(info('+CDSI: "SR",1'));
    h.exchange('AT+CNMI=2,1,0,0,0\r');
    h.deliver('status-report', REPORT_PYTHON_GSMMODEM.hex);
    expect(h.take()).toBe('');
    expect(h.acks).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(h.exchange('AT+CPMS="SR";+CMGR=1\r')).toBe(info('+CPMS: 1,20,0,30,0,30') + info(`+CMGR: 0,,${len}`, REPORT_PYTHON_GSMMODEM.hex) + OK_);
    expect(h.engine.stats.statusReportsReceived).toBe(3);
  });

  it('EC25 quirk: announces +CDSI: "SM" but stores the report in SR (asterisk-chan-quectel PR#75)', () => {
    const h = readyHarness({ profile: 'ec25' });
    h.exchange('AT+CNMI=2,1,0,2,0\r');
    h.deliver('status-report', REPORT_PYTHON_GSMMODEM.hex);
    expect(h.take()).toBe(info('+CDSI: "SM",1'));
    expect(h.exchange('AT+CMGR=1\r')).toBe(OK_);
    expect(h.engine.messages('SR').map((m) => m.pduHex)).toEqual([REPORT_PYTHON_GSMMODEM.hex]);
  });

  it('a full storage refuses with cause 22 and no indication; Huawei says ^SMMEMFULL', () => {
    const h = readyHarness({ storageCapacity: { SM: 2 } });
    h.exchange('AT+CNMI=2,1,0,0,0\r');
    expect(h.engine.fillStorage('SM')).toBe(2);
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe('');
    expect(h.acks).toEqual([{ ok: false, cause: 22 }]);
    h.exchange('AT+CMGD=1\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe(info('+CMTI: "SM",1'));
    const huawei = readyHarness({ profile: 'huawei' });
    huawei.exchange('AT+CNMI=2,1,0,0,0\r');
    huawei.engine.fillStorage('SM');
    huawei.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(huawei.take()).toBe(info('^SMMEMFULL: "SM"'));
  });

  it('refuses while the SIM is locked or the radio is off, and refuses undecodable hex', () => {
    const h = readyHarness({ pin: '1' });
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    h.exchange('AT+CPIN="1";+CNMI=2,1,0,0,0\r');
    h.deliver('deliver', 'XYZ');
    h.exchange('AT+CFUN=0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.acks).toEqual([
      { ok: false, cause: 22 },
      { ok: false, cause: 111 },
      { ok: false, cause: 22 },
    ]);
  });

  it('a reboot refuses the +CMT that waited for AT+CNMA', () => {
    const h = readyHarness();
    h.exchange('AT+CSMS=1;+CNMI=2,2,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    h.engine.reboot();
    expect(h.acks).toEqual([{ ok: false, cause: 22 }]);
  });
});

describe('text mode (TS 27.005 §4)', () => {
  it('sends text with AT+CMGS="<da>" and the prompt', async () => {
    const h = readyHarness();
    h.exchange('AT+CMGF=1;+CSMP=49,167,0,0\r');
    expect(h.exchange('AT+CMGS="+491761234567"\r')).toBe(PROMPT);
    expect(h.exchange('Hello\rworld\u001a')).toBe(PROMPT);
    await h.settle();
    expect(h.take()).toBe(info('+CMGS: 0') + OK_);
    const sent = decodePdu(h.network.submitted[0] ?? '', { smscPrefix: false });
    expect(sent).toMatchObject({ type: 'submit', statusReportRequest: true, destination: { value: '491761234567', typeOfNumber: 'international' } });
    expect(sent.type === 'submit' ? sent.userData.text : null).toBe('Hello\nworld');
    expect(h.exchange(`AT+CMGS="+49"\r${'x'.repeat(161)}\u001a`)).toBe(PROMPT + '\r\n+CMS ERROR: 305\r\n');
    expect(h.exchange('AT+CMGS=24\r')).toBe(cms(305));
  });

  it('lists and reads in text form, with +CSDH=1 details', () => {
    const h = readyHarness();
    h.exchange('AT+CNMI=2,1,0,0,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    h.deliver('deliver', DELIVER_8BIT_CLASS1_F5.hex);
    h.take();
    h.exchange('AT+CMGF=1\r');
    expect(h.exchange('AT+CMGL="ALL"\r')).toBe(
      info(
        '+CMGL: 1,"REC UNREAD","27838890001",,"99/03/29,15:16:59+08"',
        'hellohello',
        '+CMGL: 2,"REC UNREAD","+4917612345678",,"25/10/21,13:20:54+04"',
        'DEADBEEF', // 8-bit data is shown as hex (TS 27.005 §3.1 <data>)
      ) + OK_,
    );
    expect(h.exchange('AT+CSDH=1;+CMGR=1\r')).toBe(info('+CMGR: "REC READ","27838890001",,"99/03/29,15:16:59+08",200,4,0,0,"+27381000015",145,10', 'hellohello') + OK_);
    expect(h.exchange('AT+CMGL="all"\r')).toContain('+CMGL: 1,"REC READ","27838890001",,"99/03/29,15:16:59+08",200,10');
    expect(h.exchange('AT+CMGL=4\r')).toBe(cms(305));
  });

  it('routes +CMT and +CDS in text form', () => {
    const h = readyHarness();
    h.exchange('AT+CMGF=1;+CNMI=2,2,0,1,0\r');
    h.deliver('deliver', DELIVER_CLASSIC.hex);
    expect(h.take()).toBe(info('+CMT: "27838890001",,"99/03/29,15:16:59+08"', 'hellohello'));
    h.deliver('status-report', REPORT_PYTHON_GSMMODEM.hex);
    expect(h.take()).toBe(info('+CDS: 6,214,"+31628870634",145,"11/01/11,17:59:15+04","11/01/11,17:59:17+04",0'));
  });
});

describe('robustness', () => {
  it('answers ERROR, never throws, for a corpus of odd lines', () => {
    const h = readyHarness();
    const lines = ['AT+', 'AT+CMGR=', 'AT+CMGR=-1', 'AT+CNMI=,,,,,,', 'AT+CSCA="x"', 'AT+CMGD=1,9', 'AT+CSMP=300', 'AT&', 'ATS99?', 'AT+CFUN=2', 'AT+CMGW=5,9', 'AT+CMSS'];
    for (const line of lines) expect(h.exchange(`${line}\r`), line).toMatch(/ERROR/);
    expect(h.engine.stats.internalErrors).toBe(0);
    expect(h.exchange('AT\r')).toBe(OK_);
    expect(h.exchange('AT+CPMS\r')).toBe(cms(302));
    expect(ERROR_).toBe('\r\nERROR\r\n');
  });
});
