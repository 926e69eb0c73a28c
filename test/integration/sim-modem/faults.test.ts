/**
 * Fault injection on the simulated modem, observed from a real serial port: unplug/replug,
 * reboot banners, URCs inside a transaction, garbage, hangs, lost and slow responses.
 */
import { describe, expect, it } from 'vitest';
import { exists, openHost, sendSms, startModem, submitPdu, useCleanup } from './fixture.ts';
import { FINAL } from './host-port.ts';

useCleanup();

describe('simulated modem faults', () => {
  it('unplug: the host port fails and the path vanishes; replug: same path, same state', async () => {
    const { modem, host } = await startModem();
    expect(await host.command('ATE0;+CMEE=2')).toBe('ATE0;+CMEE=2\r\r\nOK\r\n');
    await modem.unplug();
    // Like a real USB serial device after a hang-up, the slave now reads as end-of-file and
    // fails writes with EIO; node-serialport may only notice at the next write.
    await host.write('AT\r').catch(() => undefined);
    await host.waitClosed();
    // Closed because the read side ended (null) or because I/O failed (a DisconnectedError).
    expect(host.closeError === null || host.closeError?.disconnected === true, String(host.closeError)).toBe(true);
    expect(await exists(modem.linkPath)).toBe(false);
    expect(modem.plugged).toBe(false);
    await expect(openHost(modem.linkPath)).rejects.toThrow();

    await modem.replug();
    const again = await openHost(modem.linkPath);
    expect(await again.command('AT+CMEE?')).toBe('\r\n+CMEE: 2\r\n\r\nOK\r\n');
    // The host may close and reopen the port as often as it likes.
    await again.close();
    const third = await openHost(modem.linkPath);
    expect(await third.command('AT')).toBe('\r\nOK\r\n');
  });

  it('AT+CFUN=1,1 reboots: OK, silence, then the banner, echo back on', async () => {
    const { host } = await startModem({ rebootDelayMs: 100 });
    await host.command('ATE0;+CMEE=1');
    expect(await host.command('AT+CFUN=1,1')).toBe('\r\nOK\r\n');
    expect(await host.waitFor('\r\nRDY\r\n', 2000)).toBe('\r\nRDY\r\n');
    expect(await host.command('AT+CMEE?')).toBe('AT+CMEE?\r\r\n+CMEE: 0\r\n\r\nOK\r\n');
  });

  it('a reboot fault shows the SIM800 banner with Call Ready and SMS Ready', async () => {
    const { modem, host } = await startModem({ profile: 'sim800', rebootDelayMs: 50 });
    modem.reboot();
    const banner = await host.waitFor('\r\nSMS Ready\r\n', 2000);
    expect(banner).toBe('\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\nCall Ready\r\n\r\nSMS Ready\r\n');
  });

  it('puts a URC between AT+CMGS=<n> and the prompt, and while waiting at the prompt', async () => {
    const { modem, host } = await startModem();
    await host.command('ATE0;+CMEE=1;+CNMI=2,1,0,0,0');
    modem.injectUrcBeforeNextPrompt('+CREG: 1');
    const pdu = submitPdu('+491700000002', 'x');
    await host.write(`AT+CMGS=${pdu.tpduLength}\r`);
    expect(await host.waitFor('> ')).toBe('\r\n+CREG: 1\r\n\r\n> ');
    await modem.injectIncoming('07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37');
    expect(await host.waitFor('\r\n+CMTI: "SM",1\r\n')).toBe('\r\n+CMTI: "SM",1\r\n');
    await host.write(`${pdu.hex}\u001a`);
    expect(await host.waitFor(FINAL)).toBe('\r\n+CMS ERROR: 331\r\n');
  });

  it('ESC at the prompt aborts without sending', async () => {
    const { modem, host } = await startModem();
    await host.command('ATE0');
    await host.write('AT+CMGS=10\r');
    await host.waitFor('> ');
    await host.write('0011\u001b');
    expect(await host.waitFor(FINAL)).toBe('\r\nOK\r\n');
    expect(modem.stats.smsSubmitted).toBe(0);
  });

  it('garbage: random bytes, NULs and a 10,000-byte line, then normal answers', async () => {
    const { modem, host } = await startModem();
    await host.command('ATE0');
    modem.injectGarbage('nul', 16);
    modem.injectGarbage('random', 256);
    modem.injectGarbage('long-line');
    await host.waitFor(`${'X'.repeat(10_000)}\r\n`);
    expect(await host.command('AT')).toBe('\r\nOK\r\n');
  });

  it('hang: no answer until un-hung; drop: one command gets no answer', async () => {
    const { modem, host } = await startModem();
    await host.command('ATE0');
    modem.hang();
    await expect(host.command('AT', 300)).rejects.toThrow(/timed out/);
    modem.unhang();
    expect(await host.command('AT')).toBe('\r\nOK\r\n');
    modem.dropNextResponses(1);
    await expect(host.command('AT+CSQ', 300)).rejects.toThrow(/timed out/);
    expect(await host.command('AT+CSQ')).toBe('\r\n+CSQ: 20,99\r\n\r\nOK\r\n');
  });

  it('delays every response by the configured time', async () => {
    const { modem, host } = await startModem({ faults: { responseDelayMs: 200 } });
    const started = Date.now();
    expect(await host.command('AT')).toBe('AT\r\r\nOK\r\n');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    modem.setResponseDelayMs(0);
    expect(await host.command('AT')).toBe('AT\r\r\nOK\r\n');
  });

  it('starts with a full storage and a banner when asked', async () => {
    const { modem, host } = await startModem({ bannerOnStart: true, rebootDelayMs: 50, faults: { storageFull: ['SM'] } });
    await host.waitFor('\r\nRDY\r\n');
    expect(modem.status.used.SM).toBe(30);
    expect(await host.command('ATE0;+CMEE=1;+CPMS?')).toBe('ATE0;+CMEE=1;+CPMS?\r\r\n+CPMS: "SM",30,30,"SM",30,30,"SM",30,30\r\n\r\nOK\r\n');
    expect(await sendSms(host, submitPdu('+491700000002', 'x'))).toBe('\r\n+CMS ERROR: 331\r\n');
  });

  it('stop removes the link and ends socat', async () => {
    const { modem, host } = await startModem();
    await modem.stop();
    await host.write('AT\r').catch(() => undefined);
    await host.waitClosed();
    expect(await exists(modem.linkPath)).toBe(false);
    await modem.stop();
  });
});
