/**
 * Cross-check: the gateway's own AT channel (src/modem/at-channel.ts) driving the simulated modem
 * through a real serial port, echo on, with URCs arriving between the command and the prompt.
 */
import { SerialPort } from 'serialport';
import { describe, expect, it } from 'vitest';
import { AtChannel, type AtUrc } from '../../../src/modem/at-channel.ts';
import { startModem, startNetwork, submitPdu, useCleanup } from './fixture.ts';

useCleanup();

async function channelOn(path: string): Promise<{ channel: AtChannel; close: () => Promise<void> }> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  const channel = new AtChannel(port, { commandTimeoutMs: 2000, promptTimeoutMs: 2000, sendTimeoutMs: 3000 });
  return {
    channel,
    close: async () => {
      channel.close();
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}

describe('AtChannel against the simulated modem', () => {
  it('runs commands, sends an SMS with a URC before the prompt, and receives +CMTI', async () => {
    const network = await startNetwork();
    const a = await startModem({ msisdn: '+491700000001', network: network.address, profile: 'ec25' });
    const b = await startModem({ msisdn: '+491700000002', network: network.address });
    await a.host.close();
    await b.host.close();
    const ca = await channelOn(a.modem.linkPath);
    const cb = await channelOn(b.modem.linkPath);
    try {
      expect((await ca.channel.command('AT+CGMI')).lines).toEqual(['Quectel']);
      await ca.channel.command('AT+CMEE=1');
      await cb.channel.command('AT+CNMI=2,1,0,0,0');
      const urcsA: AtUrc[] = [];
      const urcsB: AtUrc[] = [];
      ca.channel.on('urc', (urc) => urcsA.push(urc));
      const cmti = new Promise<void>((resolve) =>
        cb.channel.on('urc', (urc) => {
          urcsB.push(urc);
          resolve();
        }),
      );
      a.modem.injectUrcBeforeNextPrompt('+CMTI: "SM",7');
      const pdu = submitPdu('+491700000002', 'via AtChannel');
      expect(await ca.channel.sendPdu(pdu.tpduLength, pdu.hex)).toBe(0);
      await cmti;
      expect(urcsB.map((u) => u.line)).toEqual(['+CMTI: "SM",1']);
      expect(urcsA.map((u) => u.line)).toEqual(['+CMTI: "SM",7']);
      await expect(ca.channel.command('AT+CPIN="0000"')).rejects.toMatchObject({ code: 'GW_ERR_AT_COMMAND' });
    } finally {
      await ca.close();
      await cb.close();
    }
  });
});
