/**
 * `smsbridge demo` (also `npm run demo`): the whole gateway on one machine with simulated
 * modems, network and devices, a live table, and a summary at the end.
 */
import type { Command } from 'commander';
import type { Lab } from '../lab/lab.ts';
import type { CliIo } from './io.ts';
import { parseDecimalOption, parseIntegerOption } from './options.ts';

/** The demo's devices: one per kind of binding that matters. */
const DEMO_DEVICES = [
  { msisdn: '+491701110001', endpoint: 'meter-sms-only', binding: 'S', modem: 0 },
  { msisdn: '+491701110002', endpoint: 'tracker-uqs', binding: 'UQS', modem: 1 },
  { msisdn: '+491701110003', endpoint: 'sensor-udp', binding: 'U', modem: 0 },
  { msisdn: '+491701110004', endpoint: 'valve-sq', binding: 'SQ', modem: 1 },
] as const;

interface DemoOptions {
  duration: string;
  redis?: string;
  readIntervalMs: string;
}

function pad(text: string | number, width: number): string {
  return String(text).padEnd(width).slice(0, width);
}

/** Adds `demo` to `program`. */
export function addDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('run the gateway with simulated modems, SMS network, devices and a lab core (no hardware)')
    .option('--duration <s>', 'stop after this many seconds and print a summary (0: until Ctrl-C)', '0')
    .option('--redis <url>', 'use this Redis instead of starting a private one')
    .option('--read-interval-ms <ms>', 'how often the lab core reads /3/0 from a device', '4000')
    .action(async (options: DemoOptions) => {
      const durationSec = parseDecimalOption(options.duration, '--duration', { min: 0, max: 31_536_000 });
      const readIntervalMs = parseIntegerOption(options.readIntervalMs, '--read-interval-ms', { min: 200, max: 86_400_000 });
      const [{ Lab, labModemNumber }, { createLogger }] = await Promise.all([import('../lab/lab.ts'), import('../log/index.ts')]);
      io.err('starting: private Redis, simulated SMS network, 2 simulated modems, gateway, lab core, 4 devices …');
      // Warnings and errors of the gateway on stderr (the table is on stdout); Ctrl-C aborts a
      // start-up that waits for an unreachable Redis; SIGUSR2 switches the AT trace.
      const logger = createLogger({ level: 'warn', pretty: io.stderrIsTerminal === true, destination: { write: (text) => io.err(text.trimEnd()) } });
      const startAbort = new AbortController();
      void io.untilStopped().then(() => startAbort.abort());
      const lab = await Lab.start({
        gatewayStart: { logger, signal: startAbort.signal },
        redisUrl: options.redis ?? null,
        devices: DEMO_DEVICES.map((d) => ({ ...d, lifetimeSec: 120, awakeWindowMs: 8000, coap: { responseTimeoutMs: 30_000 } })),
        gateway: { awakeWindowMs: 8000 },
        core: { responseTimeoutMs: 60_000 },
      });
      const stopAtTraceSignal = io.onAtTraceSignal?.(() => lab.gateway.toggleAtTrace()) ?? (() => undefined);
      const counts = { reads: 0, readsAnswered: 0, readsFailed: 0, triggers: 0 };
      let turn = 0;
      const reader = setInterval(() => {
        const clients = lab.core.clients();
        if (clients.length === 0) return;
        const client = clients[turn++ % clients.length]!;
        counts.reads += 1;
        // Every fourth turn: the Registration Update Trigger, else a Read of the Device object.
        const request = turn % 4 === 0 ? lab.core.execute(client.endpoint, '/1/0/8') : lab.core.read(client.endpoint, '/3/0');
        if (turn % 4 === 0) counts.triggers += 1;
        request.then(
          (response) => (response.code.startsWith('2.') ? (counts.readsAnswered += 1) : (counts.readsFailed += 1)),
          () => (counts.readsFailed += 1),
        );
      }, readIntervalMs);
      const table = setInterval(() => void printTable(lab, io, counts, labModemNumber), 2000);
      const stopped = durationSec > 0 ? new Promise((r) => setTimeout(r, durationSec * 1000)) : io.untilStopped();
      await stopped;
      clearInterval(reader);
      clearInterval(table);
      stopAtTraceSignal();
      await printTable(lab, io, counts, labModemNumber);
      const summary = await summarise(lab, counts);
      await lab.stop();
      io.out('');
      io.out(`summary: ${summary.registrations} registrations, ${summary.updates} updates, ${counts.readsAnswered}/${counts.reads} requests answered (${counts.triggers} triggers), SMS sent ${summary.smsSentByGateway} / received ${summary.smsReceivedByGateway} by the gateway`);
      io.json({ summary: { ...summary, requests: counts.reads, requestsAnswered: counts.readsAnswered, requestsFailed: counts.readsFailed, triggers: counts.triggers } });
    });
}

async function summarise(lab: Lab, counts: { reads: number }) {
  const devices = lab.devices.map((d) => d.stats);
  const sum = (pick: (s: (typeof devices)[number]) => number): number => devices.reduce((n, s) => n + pick(s), 0);
  const status = await lab.gateway.status();
  return {
    durationRequests: counts.reads,
    registrations: sum((s) => s.registrations),
    updates: sum((s) => s.updates),
    readsAnswered: sum((s) => s.readsAnswered),
    smsSentByGateway: status.modems.reduce((n, m) => n + m.counters.sent, 0),
    smsReceivedByGateway: status.modems.reduce((n, m) => n + m.counters.received, 0),
    smsSentByDevices: sum((s) => s.smsSent),
    relay: status.relay,
  };
}

async function printTable(lab: Lab, io: CliIo, counts: { reads: number; readsAnswered: number }, labModemNumber: (index: number) => string): Promise<void> {
  const status = await lab.gateway.status();
  const now = Date.now();
  io.out('');
  io.out(`${pad('modem', 10)}${pad('state', 12)}${pad('number', 15)}${pad('signal', 9)}${pad('sent', 6)}${pad('recv', 6)}`);
  status.modems.forEach((m, i) => {
    io.out(`${pad(m.name, 10)}${pad(m.state, 12)}${pad(`+${labModemNumber(i)}`, 15)}${pad(m.signalDbm === null ? '-' : `${m.signalDbm} dBm`, 9)}${pad(m.counters.sent, 6)}${pad(m.counters.received, 6)}`);
  });
  io.out(`${pad('device', 17)}${pad('binding', 8)}${pad('registered', 11)}${pad('last bearer', 12)}${pad('core port', 10)}${pad('seen', 7)}${pad('SMS out/in', 11)}`);
  for (const device of lab.devices) {
    const record = status.devices.find((d) => d.endpoint === device.endpoint);
    const seen = record ? `${Math.round((now - record.lastActivityMs) / 1000)}s` : '-';
    io.out(
      `${pad(device.endpoint, 17)}${pad(device.binding, 8)}${pad(record?.registered ? 'yes' : 'no', 11)}${pad(record?.lastBearer ?? '-', 12)}` +
        `${pad(record?.corePort ?? '-', 10)}${pad(seen, 7)}${pad(`${device.stats.smsSent}/${device.stats.smsReceived}`, 11)}`,
    );
  }
  io.out(`core requests answered ${counts.readsAnswered}/${counts.reads}; relay: ${status.relay.toCore} to core, ${status.relay.downlinkSms} by SMS, ${status.relay.downlinkUdp} by UDP, ${status.relay.coreRetransmissionsAbsorbed} core retransmissions absorbed`);
}
