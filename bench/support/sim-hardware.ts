/**
 * The simulated hardware of a benchmark: one {@link SimNetwork} and N {@link SimModem}s on real
 * pseudo-terminals. Runs in the benchmark's process or in bench/support/sim-host.ts.
 */
import { join } from 'node:path';
import { SimModem } from '../../src/sim/modem/index.ts';
import { SimNetwork } from '../../src/sim/network/sim-network.ts';

/** A running network with its modems. `stop` releases everything and never rejects. */
export interface SimHardware {
  readonly sims: readonly SimModem[];
  /** AT command lines all modems received so far. */
  commandLines(): number;
  stop(): Promise<void>;
}

/** The MSISDN of modem `index` (0-based): unique per modem, never a benchmark recipient. */
export function modemMsisdn(index: number): string {
  return `+4917000${String(index + 1).padStart(5, '0')}`;
}

/**
 * Starts the network, then the modems one by one (registered at once, `+CMGS` after
 * `cmgsLatencyMs`), each linked at `<dir>/ttyModem<i>`. On failure what started is stopped.
 */
export async function startSimHardware(modems: number, cmgsLatencyMs: number, deliveryDelayMs: number, dir: string): Promise<SimHardware> {
  const network = await SimNetwork.start({ deliveryDelayMs });
  const sims: SimModem[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(sims.map((sim) => sim.stop().catch(() => undefined)));
    await network.stop().catch(() => undefined);
  };
  try {
    for (let i = 0; i < modems; i++) {
      sims.push(await SimModem.start({
        msisdn: modemMsisdn(i), registerDelayMs: 0, cmgsLatencyMs, network: network.address, linkPath: join(dir, `ttyModem${i}`),
      }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { sims, commandLines: () => sims.reduce((sum, sim) => sum + sim.stats.commandLines, 0), stop };
}
