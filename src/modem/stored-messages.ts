/**
 * Reading SMS that the modem stored: `AT+CMGR=<index>` and `AT+CMGL=<stat>` in PDU mode
 * (TS 27.005 §3.4.2, §3.4.3) and `AT+CMGD` to delete them (one, or with `<delflag>`, §3.5.4),
 * with the storage switched through
 * `AT+CPMS` when a message sits in another memory (`+CMTI: "SM"` while reading from ME,
 * status reports in SR).
 */
import { parseInformationLine } from './at/line-parser.ts';
import type { AtChannel } from './at-channel.ts';
import { AtCommandError } from './at-errors.ts';

/** TS 27.005 §3.1 `<stat>` in PDU mode. */
export const STAT_RECEIVED_UNREAD = 0;
export const STAT_RECEIVED_READ = 1;
/** TS 27.005 §3.4.2 `AT+CMGL` `<stat>` 4 in PDU mode: all messages. */
export const STAT_ALL = 4;

/** One stored message as listed or read. */
export interface StoredPdu {
  readonly storage: string;
  readonly index: number;
  /** TS 27.005 `<stat>`: 0 unread, 1 read, 2 stored unsent, 3 stored sent. */
  readonly stat: number;
  readonly pduHex: string;
}

/** True for stored messages that came from the network (received), not outgoing ones. */
export function isReceived(stored: StoredPdu): boolean {
  return stored.stat === STAT_RECEIVED_UNREAD || stored.stat === STAT_RECEIVED_READ;
}

/**
 * Parses the lines of `AT+CMGL` (PDU mode): `+CMGL: <index>,<stat>,[<alpha>],<length>` each
 * followed by its PDU line. A header without a PDU line is skipped.
 */
export function parseMessageList(lines: readonly string[], storage: string): StoredPdu[] {
  const result: StoredPdu[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fields = parseListHeader(lines[i] ?? '', '+CMGL');
    const pdu = lines[i + 1];
    if (fields === null || pdu === undefined || !/^[0-9A-Fa-f]+$/.test(pdu)) continue;
    result.push({ storage, index: fields[0], stat: fields[1], pduHex: pdu });
    i += 1;
  }
  return result;
}

function parseListHeader(line: string, prefix: string): [number, number] | null {
  let fields: string[] | null;
  try {
    fields = parseInformationLine(line, prefix);
  } catch {
    return null;
  }
  if (fields === null) return null;
  const index = Number(fields[0]);
  const stat = Number(fields[1]);
  return Number.isInteger(index) && Number.isInteger(stat) ? [index, stat] : null;
}

/** The `<delflag>` list of an `AT+CMGD=?` answer (its last parenthesised list, when it has two). */
export function parseDeleteFlags(lines: readonly string[]): number[] {
  const line = lines.find((l) => /^\+CMGD:/i.test(l)) ?? '';
  const lists = [...line.matchAll(/\(([^)]*)\)/g)].map((m) => m[1] ?? '');
  const last = lists.length >= 2 ? lists[lists.length - 1] ?? '' : '';
  const flags: number[] = [];
  for (const item of last.split(',')) {
    const range = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(item);
    if (range === null) continue;
    const low = Number(range[1]);
    const high = Math.min(Number(range[2] ?? range[1]), low + 16);
    for (let n = low; n <= high; n++) flags.push(n);
  }
  return flags;
}

/**
 * Access to stored messages on one channel. Switches the read storage (mem1) with
 * `AT+CPMS="<mem>"` when needed and switches it back, so receiving keeps its configured storage.
 */
export class MessageStore {
  /** Storage operations run one after another: a switched mem1 must not leak into another read. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly channel: AtChannel, private readonly homeStorage: string) {}

  /** Reads one message; null when the slot is empty (many modems answer just `OK`). */
  async read(storage: string, index: number): Promise<StoredPdu | null> {
    return this.inStorage(storage, async () => {
      const { lines } = await this.channel.command(`AT+CMGR=${index}`);
      const header = lines.findIndex((l) => l.toUpperCase().startsWith('+CMGR:'));
      const pdu = header >= 0 ? lines[header + 1] : undefined;
      if (header < 0 || pdu === undefined || !/^[0-9A-Fa-f]+$/.test(pdu)) return null;
      const stat = Number((lines[header] ?? '').replace(/^\+CMGR:\s*/i, '').split(',')[0]);
      return { storage, index, stat: Number.isInteger(stat) ? stat : STAT_RECEIVED_READ, pduHex: pdu };
    });
  }

  /**
   * Lists the messages of `storage` with status `stat` (`AT+CMGL=<stat>`; 4, the default, is all,
   * 0 received unread). The modem marks listed unread messages read (TS 27.005 §3.4.2).
   */
  async list(storage: string, stat: number = STAT_ALL): Promise<StoredPdu[]> {
    return this.inStorage(storage, async () => {
      const { lines } = await this.channel.command(`AT+CMGL=${stat}`, { timeoutMs: 60_000 });
      return parseMessageList(lines, storage);
    });
  }

  /** Deletes one message. Resolves false when the modem refused (already gone). */
  async delete(storage: string, index: number): Promise<boolean> {
    return this.inStorage(storage, async () => {
      try {
        await this.channel.command(`AT+CMGD=${index}`);
        return true;
      } catch (error) {
        if (error instanceof AtCommandError) return false;
        throw error;
      }
    });
  }

  /**
   * Deletes every "received read" message of `storage` with `AT+CMGD=<index>,1` (TS 27.005
   * §3.5.4: the ME ignores `<index>` when `<delflag>` is not 0; it is given a message the caller
   * may delete anyway, for firmware that ignores the flag). Unread and stored MO messages stay.
   * Rejects with AtCommandError when the modem refuses it.
   */
  async deleteRead(storage: string, index: number): Promise<void> {
    await this.inStorage(storage, () => this.channel.command(`AT+CMGD=${index},1`));
  }

  /**
   * {@link deleteRead} and then {@link list} on one command line (`AT+CMGD=<index>,1;+CMGL=<stat>`,
   * commands concatenated as V.250 allows): one serial round trip instead of two. The modem runs
   * them in order, so the list sees the storage after the delete. Rejects with AtCommandError
   * when the modem answers ERROR; then it is unknown whether the delete ran.
   */
  async deleteReadThenList(storage: string, index: number, stat: number): Promise<StoredPdu[]> {
    return this.inStorage(storage, async () => {
      const { lines } = await this.channel.command(`AT+CMGD=${index},1;+CMGL=${stat}`, { timeoutMs: 60_000 });
      return parseMessageList(lines, storage);
    });
  }

  /**
   * The `<delflag>` values `AT+CMGD=?` offers (`+CMGD: (<indexes>),(<delflags>)`, TS 27.005
   * §3.5.4); empty when the answer has no second list. Rejects with AtCommandError on ERROR.
   */
  async deleteFlags(): Promise<number[]> {
    const { lines } = await this.channel.command('AT+CMGD=?');
    return parseDeleteFlags(lines);
  }

  /** Used and total slots of the home storage (`AT+CPMS?`). */
  async usage(): Promise<{ used: number; total: number }> {
    const { lines } = await this.channel.command('AT+CPMS?');
    const fields = parseInformationLine(lines[0] ?? '', '+CPMS') ?? [];
    return { used: Number(fields[1] ?? 0), total: Number(fields[2] ?? 0) };
  }

  private inStorage<T>(storage: string, action: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (storage === this.homeStorage) return action();
      await this.channel.command(`AT+CPMS="${storage}"`);
      try {
        return await action();
      } finally {
        await this.channel.command(`AT+CPMS="${this.homeStorage}"`).catch(() => undefined);
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
