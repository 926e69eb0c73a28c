/**
 * A whole lab on one machine, no hardware: a private Redis (unless one is given), the simulated
 * SMS network, simulated modems on pseudo-terminals, the gateway driving them through
 * `serialport`, the lab core, and simulated LwM2M devices. The demo, end-to-end tests and
 * benchmarks build on it.
 */
import { join } from 'node:path';
import { writeLabConfig } from './lab-config.ts';
import { Gateway, type GatewayStartOptions } from '../gateway/gateway.ts';
import type { DeviceGroupConfig } from '../bridge/device-groups.ts';
import type { GatewayConfig } from '../gateway/gateway-config.ts';
import { LabCore, type LabCoreOptions } from '../sim/core/index.ts';
import { SimDevice, type SimDeviceOptions } from '../sim/device/index.ts';
import { SimModem } from '../sim/modem/index.ts';
import { SimNetwork } from '../sim/network/sim-network.ts';
import { makeParentBoundDir } from '../sim/parent-bound-dir.ts';
import { startPrivateRedis, type PrivateRedis } from '../sim/private-redis.ts';

/** A simulated device of the lab; it sends its SMS to modem number `modem` (0-based). */
export interface LabDeviceSpec extends Omit<SimDeviceOptions, 'network' | 'gatewayNumber' | 'udp'> {
  readonly modem?: number;
}

/** Options of {@link Lab.start}. */
export interface LabOptions {
  /** Use this Redis instead of starting a private one. */
  readonly redisUrl?: string | null;
  /** @defaultValue 2 */
  readonly modems?: number;
  /** Latency of each simulated `AT+CMGS` (real modems: 2–10 s). @defaultValue 300 */
  readonly cmgsLatencyMs?: number;
  readonly devices?: readonly LabDeviceSpec[];
  readonly core?: LabCoreOptions;
  /** Changes to the gateway's configuration. */
  readonly gateway?: Partial<GatewayConfig>;
  /** The gateway's logger, start-up abort signal and other start options. */
  readonly gatewayStart?: GatewayStartOptions;
  /** Delay of the simulated network between submission and delivery. @defaultValue 50 */
  readonly networkDelayMs?: number;
}

/** The numbers the lab's modems get. */
export function labModemNumber(index: number): string {
  return `4917200000${String(index + 1).padStart(2, '0')}`;
}

/**
 * Each lab device accepts SMS only from the modem it was provisioned with (`spec.modem`), so the
 * gateway is told, one device group per device; devices added later (see {@link Lab.addDevice})
 * default to modem 0, the last, catch-all group.
 */
function labDeviceGroups(specs: readonly LabDeviceSpec[]): DeviceGroupConfig[] {
  return [
    ...specs.map((spec) => ({ name: spec.endpoint, endpoints: [spec.endpoint], serverModem: `modem-${(spec.modem ?? 0) + 1}` })),
    { name: 'lab-default', endpoints: ['*'], serverModem: 'modem-1' },
  ];
}

/** A running lab. `stop()` takes everything down in reverse order. */
export class Lab {
  readonly devices: SimDevice[] = [];
  private readonly stops: (() => Promise<unknown>)[] = [];

  private constructor(
    readonly redisUrl: string,
    /** The private Redis the lab started (null when given a Redis URL). */
    readonly privateRedis: Pick<PrivateRedis, 'pid' | 'port' | 'dir'> | null,
    /** The folder of the simulated modems' pseudo-terminal links (removed by `stop()`). */
    readonly dir: string,
    readonly network: SimNetwork,
    readonly modems: readonly SimModem[],
    readonly core: LabCore,
    readonly gateway: Gateway,
    /** The gateway's configuration file, as `smsbridge run --config` reads it (in `dir`). */
    readonly configPath: string,
  ) {}

  /** Starts everything and waits for the modems to be ready; devices start registering. */
  static async start(options: LabOptions = {}): Promise<Lab> {
    const stops: (() => Promise<unknown>)[] = [];
    try {
      let redis: PrivateRedis | null = null;
      if (!options.redisUrl) {
        redis = await startPrivateRedis();
        stops.push(() => redis!.stop());
      }
      const redisUrl = options.redisUrl ?? redis!.url;
      const network = await SimNetwork.start({ deliveryDelayMs: options.networkDelayMs ?? 50, retryIntervalMs: 1000 });
      stops.push(() => network.stop());
      // Removed by stop(), or by its watcher when this process dies without stopping.
      const labDir = await makeParentBoundDir('smsbridge-lab-');
      stops.push(() => labDir.remove());
      const dir = labDir.path;
      const modems: SimModem[] = [];
      for (let i = 0; i < (options.modems ?? 2); i++) {
        const modem = await SimModem.start({
          msisdn: `+${labModemNumber(i)}`, network: network.address, linkPath: join(dir, `ttyModem${i}`),
          registerDelayMs: 0, cmgsLatencyMs: options.cmgsLatencyMs ?? 300, profile: i % 2 === 0 ? 'ec25' : 'sim800',
        });
        stops.push(() => modem.stop());
        modems.push(modem);
      }
      const core = await LabCore.start({ ...options.core });
      stops.push(() => core.stop());
      const file = await writeLabConfig(dir, { redisUrl, core: core.address, modemPaths: modems.map((modem) => modem.linkPath) });
      const gateway = await Gateway.start({ ...file.config, deviceGroups: labDeviceGroups(options.devices ?? []), ...options.gateway }, options.gatewayStart);
      stops.push(() => gateway.stop());
      await Promise.all(gateway.pool.drivers.map((driver) => driver.waitFor('ready', 30_000)));
      const lab = new Lab(redisUrl, redis, dir, network, modems, core, gateway, file.path);
      lab.stops.push(...stops);
      for (const spec of options.devices ?? []) await lab.addDevice(spec);
      return lab;
    } catch (error) {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Starts one more simulated device pointed at the gateway (SMS to modem `spec.modem`, UDP to the
   * gateway). Until it sends an SMS, the gateway's SMS to it leave from modem 0 unless it was
   * listed in {@link LabOptions.devices}.
   */
  async addDevice(spec: LabDeviceSpec): Promise<SimDevice> {
    const { modem = 0, ...options } = spec;
    const device = await SimDevice.start({
      ...options,
      network: this.network.address,
      gatewayNumber: labModemNumber(modem),
      udp: this.gateway.udpAddress,
    });
    this.devices.push(device);
    this.stops.push(() => device.stop());
    return device;
  }

  /** Stops everything (devices first, Redis last). */
  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop().catch(() => undefined);
  }
}
