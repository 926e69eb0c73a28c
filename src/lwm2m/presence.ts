/**
 * Presence, apart from the registration facts (Leshan's PresenceService is the model): whether
 * each device is awake now, and over which bearer. A device is awake for the awake window after
 * it was last heard (LwM2M 1.1 Core §6.5 Queue Mode: the client stays reachable for a while
 * after its last message; the default is RFC 7252 §4.8.2 MAX_TRANSMIT_WAIT, 93 s). Over UDP it
 * is reachable at its address only while heard over UDP within the window.
 *
 * Heard devices are kept in one Map in the order they were last heard (a device heard again is
 * moved to the end), so {@link Presence.sweep} finds the ones that fell asleep without walking
 * the devices still awake.
 */
import { QUEUE_MODE_AWAKE_SEC } from './coap-parameters.ts';
import { TypedEmitter } from '../shared/typed-emitter.ts';

/** Events of {@link Presence}: a device woke up (first message after sleeping) or its awake window passed. */
export type PresenceEvents = {
  awake: [endpoint: string, bearer: 'sms' | 'udp'];
  asleep: [endpoint: string];
};

/** Options of {@link Presence}. */
export interface PresenceOptions {
  /** How long a device stays awake after it was last heard. @defaultValue 93000 */
  readonly awakeWindowMs?: number;
}

interface Heard {
  lastHeardMs: number;
  lastUdpMs: number | null;
}

/**
 * Contract: `heard` is called for every message a device sends (times never go back: an older
 * time than the one held changes nothing) and emits `awake` when the device was asleep; `sweep`
 * emits `asleep` once for each device whose window passed; `forget` drops a device without an
 * event (it is gone, not asleep). Queries never throw (an unknown device is asleep).
 */
export class Presence extends TypedEmitter<PresenceEvents> {
  /** The awake window in milliseconds. */
  readonly awakeWindowMs: number;
  private readonly heardAt = new Map<string, Heard>();

  constructor(options: PresenceOptions = {}) {
    super();
    this.awakeWindowMs = options.awakeWindowMs ?? QUEUE_MODE_AWAKE_SEC * 1000;
  }

  /** Notes a message from `endpoint` over `bearer` at `nowMs`. */
  heard(endpoint: string, bearer: 'sms' | 'udp', nowMs: number): void {
    const known = this.heardAt.get(endpoint);
    if (known !== undefined && nowMs < known.lastHeardMs) return;
    const wasAwake = known !== undefined && this.within(known.lastHeardMs, nowMs);
    this.heardAt.delete(endpoint); // re-inserted at the end: the Map stays in order of last heard
    if (known === undefined) {
      this.heardAt.set(endpoint, { lastHeardMs: nowMs, lastUdpMs: bearer === 'udp' ? nowMs : null });
    } else {
      known.lastHeardMs = nowMs; // the same object again: this runs for every message
      if (bearer === 'udp') known.lastUdpMs = nowMs;
      this.heardAt.set(endpoint, known);
    }
    if (!wasAwake) this.emit('awake', endpoint, bearer);
  }

  /**
   * Takes the times stored registrations hold (after a restart) without events: a device counts
   * as awake while those times are within the window. Keeps the order of last heard (one sort).
   */
  restore(devices: Iterable<{ readonly endpoint: string; readonly lastHeardMs: number; readonly lastUdpMs: number | null }>): void {
    const all = new Map(this.heardAt);
    for (const device of devices) if (!all.has(device.endpoint)) all.set(device.endpoint, { lastHeardMs: device.lastHeardMs, lastUdpMs: device.lastUdpMs });
    this.heardAt.clear();
    for (const [endpoint, known] of [...all].sort((a, b) => a[1].lastHeardMs - b[1].lastHeardMs)) this.heardAt.set(endpoint, known);
  }

  /** True while `endpoint` was heard on any bearer within the awake window. */
  isAwake(endpoint: string, nowMs: number): boolean {
    const known = this.heardAt.get(endpoint);
    return known !== undefined && this.within(known.lastHeardMs, nowMs);
  }

  /** True while `endpoint` was heard over UDP within the awake window (reachable at its address). */
  isAwakeOverUdp(endpoint: string, nowMs: number): boolean {
    const known = this.heardAt.get(endpoint);
    return known !== undefined && known.lastUdpMs !== null && this.within(known.lastUdpMs, nowMs);
  }

  /** Emits `asleep` for every device whose window passed by `nowMs` and resolves with them. */
  sweep(nowMs: number): string[] {
    const asleep: string[] = [];
    for (const [endpoint, known] of this.heardAt) {
      if (this.within(known.lastHeardMs, nowMs)) break; // the rest were heard later
      this.heardAt.delete(endpoint);
      asleep.push(endpoint);
    }
    for (const endpoint of asleep) this.emit('asleep', endpoint);
    return asleep;
  }

  /** Drops `endpoint` (de-registered or lost): no event. */
  forget(endpoint: string): void {
    this.heardAt.delete(endpoint);
  }

  /** Devices held (awake, or asleep and not swept yet). */
  get size(): number {
    return this.heardAt.size;
  }

  private within(heardMs: number, nowMs: number): boolean {
    return nowMs - heardMs <= this.awakeWindowMs;
  }
}
