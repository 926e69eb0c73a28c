/**
 * The relay's exchange state by device (exchanges.ts): created on a device's first exchange,
 * pruned by the maintenance sweep, and deleted once a device has none left or is gone, so memory
 * is kept per device only while it has an exchange (bench/device-scale, memory per device).
 */
import { DeviceExchanges } from './exchanges.ts';

/**
 * Contract: {@link of} returns the device's state, creating it; {@link known} never creates;
 * {@link sweep} drops devices left idle; {@link forget} and {@link stopAll} end the
 * retransmissions of the gateway's separate responses (of one device, of all).
 */
export class DeviceExchangeTable {
  private readonly byEndpoint = new Map<string, DeviceExchanges>();

  /** Devices with exchange state now. */
  get size(): number {
    return this.byEndpoint.size;
  }

  /** The state of `endpoint`, if it has any. */
  known(endpoint: string): DeviceExchanges | undefined {
    return this.byEndpoint.get(endpoint);
  }

  /** The state of `endpoint`, created (with a random Message ID seed) when it has none. */
  of(endpoint: string): DeviceExchanges {
    let exchanges = this.byEndpoint.get(endpoint);
    if (!exchanges) {
      exchanges = new DeviceExchanges(Math.floor(Math.random() * 0xffffffff));
      this.byEndpoint.set(endpoint, exchanges);
    }
    return exchanges;
  }

  /** Forgets expired entries of every device and drops the state of devices left with none. */
  sweep(nowMs: number): void {
    for (const [endpoint, exchanges] of this.byEndpoint) {
      exchanges.prune(nowMs);
      if (exchanges.isIdle) this.byEndpoint.delete(endpoint);
    }
  }

  /** `endpoint` is gone: its state is dropped and its retransmissions to the core stop. */
  forget(endpoint: string): void {
    const exchanges = this.byEndpoint.get(endpoint);
    this.byEndpoint.delete(endpoint);
    if (exchanges) for (const stop of exchanges.coreAckStops()) stop();
  }

  /** Stops every retransmission to the core (the gateway stops); the state stays. */
  stopAll(): void {
    for (const exchanges of this.byEndpoint.values()) for (const stop of exchanges.coreAckStops()) stop();
  }
}
