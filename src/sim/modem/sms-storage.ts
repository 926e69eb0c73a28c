/**
 * Message storages of the simulated modem (TS 27.005 §3.2.2 `<mem1>..<mem3>`): fixed-capacity
 * slot tables addressed by index, as a SIM or the ME flash holds them. Pure data structures.
 */
import type { SmsMemory } from './profiles.ts';

/** TS 27.005 §3.1 `<stat>` in PDU mode. */
export const SMS_STAT = {
  RECEIVED_UNREAD: 0,
  RECEIVED_READ: 1,
  STORED_UNSENT: 2,
  STORED_SENT: 3,
} as const;

/** A `<stat>` value 0..3. */
export type SmsStat = (typeof SMS_STAT)[keyof typeof SMS_STAT];

/** TS 27.005 §3.1 `<stat>` in text mode, by numeric value. */
export const TEXT_STAT: readonly string[] = Object.freeze(['REC UNREAD', 'REC READ', 'STO UNSENT', 'STO SENT', 'ALL']);

/** One stored message. */
export interface StoredSms {
  stat: SmsStat;
  /** The PDU as `+CMGR` prints it: SMSC field then TPDU, upper-case hexadecimal. */
  readonly pduHex: string;
  /** TPDU octets (SMSC field excluded), the `<length>` of `+CMGR`/`+CMGL` (TS 27.005 §3.1). */
  readonly tpduLength: number;
  readonly kind: 'deliver' | 'submit' | 'status-report';
}

/**
 * One storage (SM, ME or SR). Indexes run from `firstIndex` to `firstIndex + capacity - 1`;
 * a new message takes the lowest free index, as SIMs do.
 */
export class SmsStorage {
  /** `SM`, `ME` or `SR`. */
  readonly name: SmsMemory;
  /** Slots, in messages. */
  readonly capacity: number;
  /** Index of the first slot. */
  readonly firstIndex: number;
  readonly #slots = new Map<number, StoredSms>();

  /** @throws RangeError when `capacity` is not a positive integer. */
  constructor(name: SmsMemory, capacity: number, firstIndex: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`"capacity" of ${name} must be a positive integer: ${capacity}`);
    this.name = name;
    this.capacity = capacity;
    this.firstIndex = firstIndex;
  }

  /** Messages held now. */
  get used(): number {
    return this.#slots.size;
  }

  /** True when no slot is free. */
  get full(): boolean {
    return this.#slots.size >= this.capacity;
  }

  /** True when `index` names a slot of this storage (used or not). */
  inRange(index: number): boolean {
    return index >= this.firstIndex && index < this.firstIndex + this.capacity;
  }

  /** Stores `message` in the lowest free slot. @returns its index, or null when full. */
  store(message: StoredSms): number | null {
    for (let index = this.firstIndex; index < this.firstIndex + this.capacity; index++) {
      if (!this.#slots.has(index)) {
        this.#slots.set(index, message);
        return index;
      }
    }
    return null;
  }

  /** The message at `index`, or undefined for an empty or out-of-range slot. */
  get(index: number): StoredSms | undefined {
    return this.#slots.get(index);
  }

  /** Deletes the message at `index`; true when there was one. */
  delete(index: number): boolean {
    return this.#slots.delete(index);
  }

  /** Used slots in index order. */
  entries(): Array<[number, StoredSms]> {
    return [...this.#slots.entries()].sort((a, b) => a[0] - b[0]);
  }
}

/** The three storages of one modem. */
export type SmsStorages = Readonly<Record<SmsMemory, SmsStorage>>;

/** Capacities in messages per storage. @defaultValue `{ SM: 30, ME: 100, SR: 20 }` */
export type StorageCapacity = Readonly<Record<SmsMemory, number>>;

/** Default {@link StorageCapacity}. */
export const DEFAULT_STORAGE_CAPACITY: StorageCapacity = Object.freeze({ SM: 30, ME: 100, SR: 20 });

/** Creates empty storages with the given capacities and first indexes. */
export function createStorages(capacity: StorageCapacity, firstIndex: Readonly<Record<SmsMemory, number>>): SmsStorages {
  return {
    SM: new SmsStorage('SM', capacity.SM, firstIndex.SM),
    ME: new SmsStorage('ME', capacity.ME, firstIndex.ME),
    SR: new SmsStorage('SR', capacity.SR, firstIndex.SR),
  };
}

/** Parses a storage name argument (`"SM"`), or null for a name the simulator does not model. */
export function parseMemory(text: string | null): SmsMemory | null {
  return text === 'SM' || text === 'ME' || text === 'SR' ? text : null;
}
