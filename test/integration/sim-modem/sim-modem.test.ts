/**
 * The simulated modem over a real pseudo-terminal, driven with raw AT through node-serialport,
 * with SMS carried by the simulated network between two modems.
 *
 *   host A ─pty─ SimModem A ─┐                 ┌─ SimModem B ─pty─ host B
 *                            └── SimNetwork ───┘
 */
import { describe, expect, it } from 'vitest';
import { SimNetworkClient } from '../../../src/sim/network/network-client.ts';
import { decodePdu } from '../../../src/sms/index.ts';
import { DELIVER_CLASSIC, tpduLengthOf } from '../../fixtures/pdu/vectors.ts';
import { sendSms, startModem, startNetwork, submitPdu, useCleanup } from './fixture.ts';

useCleanup();

const A = '+491700000001';
const B = '+491700000002';

describe('simulated modem on a pty', () => {
  it('answers a Kannel/smstools style init sequence byte for byte', async () => {
    const { host } = await startModem({ profile: 'ec25', pin: '1234', imei: '867698041234567' });
    expect(await host.command('AT')).toBe('AT\r\r\nOK\r\n');
    expect(await host.command('ATZ')).toBe('ATZ\r\r\nOK\r\n');
    expect(await host.command('ATE0')).toBe('ATE0\r\r\nOK\r\n');
    expect(await host.command('AT+CMEE=1;+CREG=2')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+CPIN?')).toBe('\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n');
    expect(await host.command('AT+CPIN="1234"')).toBe('\r\nOK\r\n');
    expect(await host.waitFor('\r\n+QIND: SMS DONE\r\n')).toContain('+CPIN: READY');
    await host.waitFor('\r\n+CREG: 1,"1A2B","01A2B3C4",7\r\n');
    expect(await host.command('AT+CGSN')).toBe('\r\n867698041234567\r\n\r\nOK\r\n');
    expect(await host.command('AT+CMGF=0;+CSMS=1')).toBe('\r\n+CSMS: 1,1,1\r\n\r\nOK\r\n');
    expect(await host.command('AT+CNMI=2,1,0,2,0;+CPMS="ME","ME","ME"')).toBe('\r\n+CPMS: 0,100,0,100,0,100\r\n\r\nOK\r\n');
    expect(await host.command('AT+CSQ;+COPS?')).toBe('\r\n+CSQ: 20,99\r\n\r\n+COPS: 0,0,"SimNet",7\r\n\r\nOK\r\n');
  });

  it('blocks the SIM after three wrong PINs and unblocks it with the PUK', async () => {
    const { host } = await startModem({ pin: '1234', puk: '11223344' });
    await host.command('ATE0;+CMEE=1');
    for (let i = 0; i < 3; i++) expect(await host.command('AT+CPIN="9999"')).toBe('\r\n+CME ERROR: 16\r\n');
    expect(await host.command('AT+CPIN?')).toBe('\r\n+CPIN: SIM PUK\r\n\r\nOK\r\n');
    expect(await host.command('AT+CPIN="1234"')).toBe('\r\n+CME ERROR: 12\r\n');
    expect(await host.command('AT+CPIN="11223344","0000"')).toBe('\r\nOK\r\n');
    expect(await host.command('AT+CPIN?')).toContain('+CPIN: READY');
  });

  it('carries an SMS from A to B with +CMGS (TP-MR wrapping 255→0), +CMTI, CMGR/CMGL/CMGD and a status report', async () => {
    const network = await startNetwork();
    const a = await startModem({ msisdn: A, network: network.address, messageReferenceStart: 255 });
    const b = await startModem({ msisdn: B, network: network.address });
    await a.host.command('ATE0;+CMEE=1;+CSMS=1;+CNMI=2,1,0,1,0');
    await b.host.command('ATE0;+CMEE=1;+CNMI=2,1,0,0,0');

    expect(await sendSms(a.host, submitPdu(B, 'hello B', true))).toBe('\r\n+CMGS: 255\r\n\r\nOK\r\n');
    expect(await b.host.waitFor('\r\n+CMTI: "SM",1\r\n')).toBe('\r\n+CMTI: "SM",1\r\n');
    // The status report for TP-MR 255 reaches A as +CDS and needs AT+CNMA (AT+CSMS=1).
    const cds = await a.host.waitFor(/\r\n\+CDS: \d+\r\n[0-9A-F]+\r\n/);
    const report = decodePdu(/\r\n([0-9A-F]+)\r\n$/.exec(cds)?.[1] ?? '');
    expect(report).toMatchObject({ type: 'status-report', messageReference: 255, status: 0 });
    expect(await a.host.command('AT+CNMA')).toBe('\r\nOK\r\n');

    expect(await sendSms(a.host, submitPdu(B, 'second'))).toBe('\r\n+CMGS: 0\r\n\r\nOK\r\n');
    await b.host.waitFor('\r\n+CMTI: "SM",2\r\n');

    const read = await b.host.command('AT+CMGR=1');
    const [, stat, pduHex] = /^\r\n\+CMGR: (\d),,\d+\r\n([0-9A-F]+)\r\n\r\nOK\r\n$/.exec(read) ?? [];
    expect(stat).toBe('0');
    const pdu = decodePdu(pduHex ?? '');
    expect(pdu).toMatchObject({ type: 'deliver', originator: { value: '491700000001', typeOfNumber: 'international' } });
    expect(pdu.type === 'deliver' ? pdu.userData.text : null).toBe('hello B');

    const list = await b.host.command('AT+CMGL=4');
    expect(list.match(/\+CMGL: (\d),(\d),,\d+/g)).toEqual([expect.stringMatching(/^\+CMGL: 1,1,,/), expect.stringMatching(/^\+CMGL: 2,0,,/)]);
    expect(await b.host.command('AT+CMGD=1')).toBe('\r\nOK\r\n');
    expect(await b.host.command('AT+CMGR=1')).toBe('\r\nOK\r\n');
    expect(await b.host.command('AT+CMGD=0,4;+CPMS?')).toBe('\r\n+CPMS: "SM",0,30,"SM",0,30,"SM",0,30\r\n\r\nOK\r\n');
    expect(a.modem.stats).toMatchObject({ smsSent: 2, statusReportsReceived: 1 });
    expect(b.modem.stats.smsReceived).toBe(2);
  });

  it('routes per CNMI with injectIncoming: +CMTI, +CMT acknowledged by AT+CNMA', async () => {
    const { modem, host } = await startModem();
    await host.command('ATE0;+CMEE=1;+CNMI=2,1,0,0,0');
    expect(await modem.injectIncoming(DELIVER_CLASSIC.hex)).toEqual({ ok: true });
    await host.waitFor('\r\n+CMTI: "SM",1\r\n');

    await host.command('AT+CSMS=1;+CNMI=2,2,0,0,0');
    const ack = modem.injectIncoming(DELIVER_CLASSIC.hex);
    expect(await host.waitFor(/\r\n[0-9A-F]+\r\n/)).toBe(`\r\n+CMT: ,${tpduLengthOf(DELIVER_CLASSIC)}\r\n${DELIVER_CLASSIC.hex}\r\n`);
    expect(await host.command('AT+CNMA')).toBe('\r\nOK\r\n');
    expect(await ack).toEqual({ ok: true });
    expect(await host.command('AT+CNMA')).toBe('\r\n+CMS ERROR: 340\r\n');
  });

  it('without AT+CNMA the modem refuses the +CMT, falls back to storing, and the network redelivers', async () => {
    const network = await startNetwork({ retryIntervalMs: 100 });
    const { modem, host } = await startModem({ msisdn: B, network: network.address, cnmaTimeoutMs: 300 });
    await host.command('ATE0;+CMEE=1;+CSMS=1;+CNMI=2,2,0,0,0');
    const sender = await SimNetworkClient.connect({ ...network.address, msisdn: A });
    const tpdu = submitPdu(B, 'unacknowledged').hex.slice(2);
    try {
      expect(await sender.submit(tpdu)).toEqual({ ok: true });
      await host.waitFor('\r\n+CMT: ');
      await expect.poll(() => modem.status.used.SM, { timeout: 3000 }).toBe(1);
      expect(await host.command('AT+CNMI?')).toContain('\r\n+CNMI: 2,0,0,0,0\r\n');
      expect(modem.stats).toMatchObject({ cnmaTimeouts: 1, smsReceived: 1 });
      expect(network.stats.refused).toBe(1);
    } finally {
      await sender.close();
    }
  });

  it('refuses deliveries to a full storage (cause 22) and SIM800 refuses AT+CMGS with 322', async () => {
    const { modem, host } = await startModem({ profile: 'sim800' });
    await host.command('ATE0;+CMEE=1;+CNMI=2,1,0,0,0');
    expect(modem.setStorageFull('SM')).toBe(30);
    expect(await modem.injectIncoming(DELIVER_CLASSIC.hex)).toEqual({ ok: false, cause: 22 });
    expect(await sendSms(host, submitPdu(B, 'x'))).toBe('\r\n+CMS ERROR: 322\r\n');
    expect(await host.command('AT+CMGD=1')).toBe('\r\nOK\r\n');
    expect(await modem.injectIncoming(DELIVER_CLASSIC.hex)).toEqual({ ok: true });
  });

  it('standalone, sending fails with +CMS ERROR: 331 (no network service)', async () => {
    const { host } = await startModem();
    await host.command('ATE0;+CMEE=2');
    expect(await sendSms(host, submitPdu(B, 'x'))).toBe('\r\n+CMS ERROR: no network service\r\n');
  });

  it('sends in text mode as third-party clients do', async () => {
    const network = await startNetwork();
    const a = await startModem({ msisdn: A, network: network.address });
    const b = await startModem({ msisdn: B, network: network.address });
    await b.host.command('ATE0;+CMGF=1;+CNMI=2,2,0,0,0');
    await a.host.command('ATE0;+CMGF=1');
    await a.host.write(`AT+CMGS="${B}"\r`);
    await a.host.waitFor('> ');
    await a.host.write('Hi there\u001a');
    expect(await a.host.waitFor(/\r\nOK\r\n/)).toBe('\r\n+CMGS: 0\r\n\r\nOK\r\n');
    expect(await b.host.waitFor(/\+CMT: [^\r]*\r\nHi there\r\n/)).toMatch(/\+CMT: "\+491700000001",,"\d\d\/\d\d\/\d\d,\d\d:\d\d:\d\d[+-]\d\d"\r\nHi there\r\n$/);
  });
});
