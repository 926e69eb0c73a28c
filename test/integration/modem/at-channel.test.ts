/**
 * The AT channel over a real pseudo-terminal opened with serialport, against a scripted peer.
 * Each test is a transcript: what the host must write, and what the "modem" answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AtChannel, type AtUrc } from '../../../src/modem/at-channel.ts';
import { AtClosedError, AtCommandError, AtTimeoutError } from '../../../src/modem/at-errors.ts';
import { HANGUP_MESSAGE } from '../../../src/modem/hangup-binding.ts';
import { openSerialLink, type SerialLink } from '../../../src/modem/serial-link.ts';
import { openPtyPeer, type PtyPeer } from '../../support/pty-peer.ts';

// A 23-octet SMS-DELIVER "hellohello" as a modem prints it after +CMT (SMSC field first).
const DELIVER_PDU = '07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37';

let peer: PtyPeer;
let link: SerialLink;
let channel: AtChannel;

async function open(options: ConstructorParameters<typeof AtChannel>[1] = {}): Promise<void> {
  peer = await openPtyPeer();
  link = await openSerialLink(peer.path);
  channel = new AtChannel(link.stream, options);
}

afterEach(async () => {
  channel?.close();
  await link?.close();
  await peer?.close();
});

describe('AtChannel on a pseudo-terminal', () => {
  it('returns information lines and completes on OK', async () => {
    await open();
    const response = channel.command('AT+CSQ');
    await peer.expect('AT+CSQ\r');
    peer.send('\r\n+CSQ: 21,99\r\n\r\nOK\r\n');
    expect(await response).toEqual({ command: 'AT+CSQ', lines: ['+CSQ: 21,99'] });
  });

  it('rejects with the +CME ERROR code, and runs queued commands one at a time in order', async () => {
    await open();
    const first = channel.command('AT+CPIN="0000"');
    const second = channel.command('AT+CGMI');
    await peer.expect('AT+CPIN="0000"\r');
    expect(peer.received()).not.toContain('AT+CGMI'); // not sent before the first one finished
    peer.send('\r\n+CME ERROR: 16\r\n');
    await expect(first).rejects.toMatchObject({ code: 'GW_ERR_AT_COMMAND', kind: 'cme', errorCode: 16 });
    await peer.expect('AT+CGMI\r');
    peer.send('\r\nQuectel\r\n\r\nOK\r\n');
    expect((await second).lines).toEqual(['Quectel']);
  });

  it('passes a URC that arrives between a command and its OK as an event, not as a response line', async () => {
    await open();
    const urcs: AtUrc[] = [];
    channel.on('urc', (u) => urcs.push(u));
    const response = channel.command('AT+CPMS?');
    await peer.expect('AT+CPMS?\r');
    peer.send('\r\n+CPMS: "ME",3,100,"ME",3,100,"ME",3,100\r\n\r\n+CMTI: "ME",4\r\n\r\nOK\r\n');
    expect((await response).lines).toEqual(['+CPMS: "ME",3,100,"ME",3,100,"ME",3,100']);
    expect(urcs.map((u) => u.header)).toEqual([{ kind: 'cmti', mem: 'ME', index: 4 }]);
  });

  it('sends a PDU at the "> " prompt (no line end), with a URC before the prompt, and returns TP-MR', async () => {
    await open();
    const urcs: AtUrc[] = [];
    channel.on('urc', (u) => urcs.push(u));
    const mr = channel.sendPdu(3, '0001000003');
    await peer.expect('AT+CMGS=3\r');
    peer.send('\r\n+CMTI: "SM",1\r\n'); // a URC before the prompt
    peer.send('\r\n> ');
    await peer.expect('0001000003\x1a');
    peer.send('\r\n+CDSI: "SR",2\r\n'); // and one after Ctrl-Z
    peer.send('\r\n+CMGS: 254\r\n\r\nOK\r\n');
    expect(await mr).toBe(254);
    expect(urcs.map((u) => u.header.kind)).toEqual(['cmti', 'cdsi']);
  });

  it('reads +CMT with its PDU line as one URC, even while a command is in flight', async () => {
    await open();
    const urcs: AtUrc[] = [];
    channel.on('urc', (u) => urcs.push(u));
    const response = channel.command('AT');
    await peer.expect('AT\r');
    peer.send(`\r\n+CMT: ,23\r\n${DELIVER_PDU}\r\n\r\nOK\r\n`);
    await response;
    expect(urcs).toEqual([{ header: { kind: 'cmt', alpha: null, length: 23, expectsPduLine: true }, line: '+CMT: ,23', pdu: DELIVER_PDU }]);
  });

  it('drops its own echo (ATE1) and the echoed PDU', async () => {
    await open();
    const response = channel.command('AT+CGSN');
    await peer.expect('AT+CGSN\r');
    peer.send('AT+CGSN\r\r\n867698041234567\r\n\r\nOK\r\n');
    expect((await response).lines).toEqual(['867698041234567']);
    const mr = channel.sendPdu(3, '0001000003');
    await peer.expect('AT+CMGS=3\r');
    peer.send('AT+CMGS=3\r\r\n> ');
    await peer.expect('\x1a');
    peer.send('0001000003\x1a\r\n+CMGS: 7\r\n\r\nOK\r\n');
    expect(await mr).toBe(7);
  });

  it('times out, then resynchronises with AT before the next command', async () => {
    await open({ commandTimeoutMs: 200, resyncQuietMs: 50 });
    await expect(channel.command('AT+COPS?')).rejects.toBeInstanceOf(AtTimeoutError);
    const next = channel.command('AT+CSQ');
    await peer.expect('AT+COPS?\r');
    await peer.expect('AT\r'); // the resync
    peer.send('\r\nOK\r\n');
    await peer.expect('AT+CSQ\r');
    peer.send('\r\n+CSQ: 5,99\r\n\r\nOK\r\n');
    expect((await next).lines).toEqual(['+CSQ: 5,99']);
    expect(channel.stats.timeouts).toBe(1);
  });

  it('reports a timeout after the PDU was written as pduWritten (unknown outcome), before it as not sent', async () => {
    await open({ promptTimeoutMs: 150, sendTimeoutMs: 150, resyncQuietMs: 10 });
    const noPrompt = channel.sendPdu(3, '0001000003');
    await expect(noPrompt).rejects.toMatchObject({ code: 'GW_ERR_AT_TIMEOUT', pduWritten: false });
    await peer.expect('\x1b'); // the pending input was aborted with ESC
    const written = channel.sendPdu(3, '0001000003');
    await peer.expect('AT\r');
    peer.send('\r\nOK\r\n');
    await peer.expect('AT+CMGS=3\r');
    peer.send('\r\n> ');
    await peer.expect('\x1a');
    await expect(written).rejects.toMatchObject({ code: 'GW_ERR_AT_TIMEOUT', pduWritten: true });
  });

  it('survives garbage, NUL bytes and an overlong line, and counts them', async () => {
    await open({ maxLineBytes: 1024 });
    const strays: string[] = [];
    channel.on('stray', (line) => strays.push(line));
    peer.send(Buffer.from([0x00, 0x00, 0xff, 0x41, 0x0d, 0x0a]));
    peer.send(`${'x'.repeat(5000)}\r\n`);
    peer.send('\r\nOK\r\n'); // a stray final result
    await expect.poll(() => channel.stats.strayFinals).toBe(1);
    const response = channel.command('AT');
    await peer.expect('AT\r');
    peer.send('\r\nOK\r\n');
    await response;
    expect(channel.stats.nulBytes).toBe(2);
    expect(channel.stats.overflows).toBe(1);
    expect(channel.stats.strayFinals).toBe(1);
    expect(strays).toEqual(['\xffA']);
  });

  it('rejects pending commands with AtClosedError when the device disappears', async () => {
    await open();
    const closed = channel.next('closed');
    // Timeouts far beyond the test's: only the disappearance may end these commands, however
    // long a loaded machine takes to report it (it once took longer than the 10 s default).
    const pending = channel.command('AT+CSQ', { timeoutMs: 600_000 }).catch((e: unknown) => e);
    const queued = channel.command('AT+CREG?', { timeoutMs: 600_000 }).catch((e: unknown) => e);
    await peer.expect('AT+CSQ\r');
    await peer.link.unplug();
    const [error] = await closed;
    expect(error).toMatchObject({ disconnected: true }); // serialport's DisconnectedError, passed on
    expect(await pending).toBeInstanceOf(AtClosedError);
    expect(await queued).toBeInstanceOf(AtClosedError);
    await expect(channel.command('AT')).rejects.toMatchObject({ code: 'GW_ERR_AT_CLOSED' });
    expect(channel.closed).toBe(true);
  });

  it('closes with the disconnect error when the device hung up before the port was first read', async () => {
    // A read after the hangup returns 0 bytes, which @serialport/bindings-cpp 13 used to read again
    // forever (serialport/bindings-cpp#162): the port never closed and a CPU spun.
    peer = await openPtyPeer();
    link = await openSerialLink(peer.path);
    await peer.link.unplug(); // nothing has read the port yet
    channel = new AtChannel(link.stream); // its 'data' listener starts the first read, after the hangup
    const [error] = await channel.next('closed');
    expect(error).toMatchObject({ disconnected: true, message: HANGUP_MESSAGE });
    await expect(channel.command('AT')).rejects.toMatchObject({ code: 'GW_ERR_AT_CLOSED' });
  });

  it('answers a +CMS ERROR to AT+CMGS as an AtCommandError before anything was sent', async () => {
    await open();
    const send = channel.sendPdu(3, '0001000003');
    await peer.expect('AT+CMGS=3\r');
    peer.send('\r\n+CMS ERROR: 322\r\n');
    const error = await send.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AtCommandError);
    expect((error as AtCommandError).is('cms', 322)).toBe(true);
  });
});
