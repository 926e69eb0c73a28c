/**
 * The simulated hardware of a benchmark in a process of its own, as real modems are outside the
 * gateway (see bench/support/sim-hardware.ts). Started by {@link startModemRig}; not meant to be
 * run by hand.
 *
 *   tsx bench/support/sim-host.ts <modems> <cmgsLatencyMs> <deliveryDelayMs> <dir>
 *
 * Protocol on stdout, one JSON object per line: `{"ready":true,"linkPaths":[…]}` once every
 * modem's pty exists, or `{"error":"…"}`. Each line on stdin asks for the AT command lines the
 * modems received so far (`{"commandLines":n}`). When stdin ends (the parent closed it or died)
 * everything is stopped and the process exits by itself.
 */
import { createInterface } from 'node:readline';
import { startSimHardware } from './sim-hardware.ts';

const reply = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);

async function main(): Promise<void> {
  const [modems, cmgsLatencyMs, deliveryDelayMs] = process.argv.slice(2, 5).map(Number);
  const dir = process.argv[5] ?? '';
  if (!Number.isInteger(modems) || modems === undefined || modems < 1 || cmgsLatencyMs === undefined || deliveryDelayMs === undefined || dir === '') {
    throw new RangeError('usage: sim-host <modems> <cmgsLatencyMs> <deliveryDelayMs> <dir>');
  }
  const hardware = await startSimHardware(modems, cmgsLatencyMs, deliveryDelayMs, dir);
  const input = createInterface({ input: process.stdin });
  input.on('line', () => reply({ commandLines: hardware.commandLines() }));
  input.on('close', () => void hardware.stop());
  reply({ ready: true, linkPaths: hardware.sims.map((sim) => sim.linkPath) });
}

main().catch((error: unknown) => {
  reply({ error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
