/**
 * The simulated network, modems and sending device of bench/modem-receive in a process of their
 * own, so that neither system under test (this gateway's driver, Kannel's bearerbox) shares an
 * event loop with the simulator: both are separate processes talking to the modem's pty, as to
 * real hardware. Started by bench/modem-receive.ts through {@link startJsonChild}; not meant to be
 * run by hand.
 *
 *   tsx bench/support/receive-sim-host.ts <dir>
 *
 * JSON lines, answered one by one in order (first line unasked: `{"ready":true}`):
 *   {"op":"start-modem","tag","msisdn"}       → {"linkPath"}      a fresh modem on the network
 *   {"op":"burst","tag","sender","sms","seed"} → {"started":true}   once every submit is sent (not yet answered)
 *   {"op":"burst-result","tag"}                → {"ok"}             once the network answered every submit of the last burst
 *   {"op":"state","tag"}                       → {"idle","commandLines"} idle: holds no SMS, awaits no AT+CNMA
 *   {"op":"acks"}                              → {"ackToAckMs":[…]} gaps between network acknowledgements since the last burst
 *   {"op":"stop-modem","tag"}                  → {"ok":true}
 * When stdin ends everything is stopped and the process exits.
 *
 * `burst` answers as soon as the submits are sent, and their results are asked for apart
 * (`burst-result`): answers go out in order, so a `burst` that waited for every submit result
 * held back the `state` answer that ends a round of this gateway, while a Kannel round ends on
 * bearerbox's status page without asking the simulator; both now end without waiting for them.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { SimModem } from '../../src/sim/modem/index.ts';
import { SimNetworkClient } from '../../src/sim/network/network-client.ts';
import { SimNetwork } from '../../src/sim/network/sim-network.ts';
import { splitIntoSubmitPdus } from '../../src/sms/index.ts';

const reply = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);

/** The submits of one burst: `sms` SMS of 24 bytes to `destination`, distinct per `seed`. */
function burstTpdus(destination: string, sms: number, seed: number): string[] {
  return Array.from({ length: sms }, (_, i) => {
    const data = Uint8Array.from({ length: 24 }, (_, k) => (i * 13 + k + seed) & 0xff);
    const [part] = splitIntoSubmitPdus({ destination, payload: { data } });
    if (part === undefined) throw new Error('no PDU');
    return part.hex.slice(2); // without the SMSC field
  });
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? '';
  if (dir === '') throw new RangeError('usage: receive-sim-host <dir>');
  const network = await SimNetwork.start({ deliveryDelayMs: 0, retryIntervalMs: 200 });
  const modems = new Map<string, { modem: SimModem; device: SimNetworkClient | null; submits: Promise<boolean> | null }>();
  let lastAckMs = -1;
  let ackToAckMs: number[] = [];
  network.on('delivered', () => {
    const now = performance.now();
    if (lastAckMs >= 0) ackToAckMs.push(now - lastAckMs);
    lastAckMs = now;
  });
  const handle = async (message: Record<string, unknown>): Promise<object> => {
    const tag = String(message['tag'] ?? '');
    switch (message['op']) {
      case 'start-modem': {
        const msisdn = String(message['msisdn']);
        const modem = await SimModem.start({ msisdn, registerDelayMs: 0, network: network.address, linkPath: join(dir, `tty-${tag}`), cmmsHoldMs: 5000 });
        modems.set(tag, { modem, device: null, submits: null });
        return { linkPath: modem.linkPath };
      }
      case 'burst': {
        const entry = modems.get(tag);
        if (entry === undefined) throw new Error(`no modem ${tag}`);
        const tpdus = burstTpdus(entry.modem.msisdn, Number(message['sms']), Number(message['seed']));
        entry.device = await SimNetworkClient.connect({ ...network.address, msisdn: String(message['sender']) });
        lastAckMs = -1;
        ackToAckMs = [];
        const device = entry.device;
        entry.submits = Promise.all(tpdus.map((tpdu) => device.submit(tpdu))).then((results) => results.every((r) => r.ok));
        return { started: true };
      }
      case 'burst-result': {
        const submits = modems.get(tag)?.submits;
        if (submits === undefined || submits === null) throw new Error(`no burst on ${tag}`);
        return { ok: await submits };
      }
      case 'state': {
        const modem = modems.get(tag)?.modem;
        if (modem === undefined) throw new Error(`no modem ${tag}`);
        const status = modem.status;
        return { idle: status.used.ME + status.used.SM === 0 && !status.awaitingCnma, commandLines: modem.stats.commandLines };
      }
      case 'acks':
        return { ackToAckMs };
      case 'stop-modem': {
        const entry = modems.get(tag);
        modems.delete(tag);
        await entry?.device?.close();
        await entry?.modem.stop();
        return { ok: true };
      }
      default:
        throw new Error(`unknown op ${String(message['op'])}`);
    }
  };
  // Answers in order, one at a time.
  let tail: Promise<void> = Promise.resolve();
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    tail = tail.then(async () => {
      try {
        reply(await handle(JSON.parse(line) as Record<string, unknown>));
      } catch (error) {
        reply({ error: error instanceof Error ? error.message : String(error) });
      }
    });
  });
  input.on('close', () => {
    void tail.then(async () => {
      for (const { modem, device } of modems.values()) {
        await device?.close().catch(() => undefined);
        await modem.stop().catch(() => undefined);
      }
      await network.stop().catch(() => undefined);
    });
  });
  reply({ ready: true });
}

main().catch((error: unknown) => {
  reply({ error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
