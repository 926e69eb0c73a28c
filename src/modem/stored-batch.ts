/**
 * The stored route read in batches (`storedRead: batch`): the modem stores each SMS and
 * acknowledges it to the network at once (`<mt>`=1, TS 27.005 §3.4.1), so the network's next
 * delivery overlaps the gateway's work, and the gateway reads every unread SMS with ONE
 * `AT+CMGL=0` (§3.4.2: listed "received unread" messages become "received read"), persists them
 * together (the inbox sends their scripts in one pipeline), then deletes them with ONE
 * `AT+CMGD=<index>,1` (§3.5.4: `<delflag>` 1 deletes every "received read" message of `<mem1>`
 * and leaves unread and stored MO messages). `+CMTI` that arrive meanwhile only mark that another
 * batch is due: never more than one list in flight, and the next batch takes everything that
 * arrived during this one. When a batch is due as the delete goes out, its list shares the
 * delete's command line (`AT+CMGD=<i>,1;+CMGL=0`, V.250 concatenation; run in that order, so the
 * list sees only what the delete left): one serial round trip per batch in a burst. A modem that
 * answers such a line with ERROR (unknown what ran) gets a full list next and separate lines
 * from then on.
 *
 * Why deleting every READ message is safe here: one batch at a time (list → persist → delete),
 * and this reader is the only reader of the home storage on its connection, so when the delete
 * goes out the READ messages are those of this batch plus those earlier batches persisted. A
 * message can be READ and not persisted only after a crash between a list and its persistence
 * (the list marked it read), after a persistence that failed, or after a list whose answer was
 * lost (timeout, port gone): each of those leaves the reader "not clean", and a reader that is
 * not clean lists ALL messages (`AT+CMGL=4`) and persists them before it deletes anything;
 * every new connection starts not clean, and its start-up sweep is such a full list. SMS that
 * arrive during a batch are UNREAD when the delete goes out and stay for the next batch. A
 * message persisted and then listed again (crash between persistence and delete) reaches the
 * inbox's de-duplication (`seen:` marker) and is published once. A persistence that fails keeps
 * its message on the modem: the batch then deletes only what was persisted, one `AT+CMGD=<i>`
 * each. Modems whose `AT+CMGD=?` does not offer `<delflag>` 1, or that answer a delflag delete
 * with an error, or whose next list shows the same message at the same index again (the flag
 * was ignored), get one `AT+CMGD=<i>` per persisted message. The index given with the delflag is
 * a persisted one, so firmware that ignores the flag deletes only that message.
 */
import { AtCommandError } from './at-errors.ts';
import { isReceived, STAT_ALL, STAT_RECEIVED_UNREAD, type MessageStore, type StoredPdu } from './stored-messages.ts';

/** What the batch reader needs from its session. */
export interface BatchReaderContext {
  readonly store: MessageStore;
  /** The home storage (`<mem1>`..`<mem3>`), the only one this reader lists and deletes in. */
  readonly storage: string;
  /**
   * Persists one received message (or matches a status report); resolves once it is durable,
   * rejects when it is not (the message then stays on the modem).
   */
  readonly take: (stored: StoredPdu, via: 'cmti' | 'sweep') => Promise<void>;
  /** A problem worth reporting (the reader goes on). */
  readonly report: (error: unknown) => void;
}

/** Counts since this reader started (for tests and benchmarks). */
export interface BatchReaderStats {
  readonly batches: number;
  readonly listed: number;
  readonly delflagDeletes: number;
  readonly indexDeletes: number;
}

interface SweepWaiter {
  readonly resolve: (found: number) => void;
  readonly reject: (error: unknown) => void;
}

/** One batch's list: whether it was full (`AT+CMGL=4`), the state before it, who waits for it. */
interface Listing {
  readonly full: boolean;
  readonly wasClean: boolean;
  waiters: SweepWaiter[];
  messages: StoredPdu[];
}

/**
 * One connection's batched reader of the home storage. Contract: `indicate()` and `sweep()`
 * never run two lists at once; a message is deleted only after `take` resolved for it; a
 * delete that can hit messages not listed in the same batch (`<delflag>` 1) goes out only while
 * every READ message of the storage is known to be persisted (see the module comment).
 */
export class BatchedStoredReader {
  private running = false;
  private unreadDue = false;
  private fullDue = false;
  private sweepWaiters: SweepWaiter[] = [];
  /** Every READ received message in the storage is persisted (see the module comment). */
  private clean = false;
  /** `AT+CMGD=<i>,1` usable: null until probed with `AT+CMGD=?`. */
  private delflag: boolean | null = null;
  /** The delete and the next list may share a command line (false after the modem refused one). */
  private combine = true;
  /** What the last delflag delete should have removed: index → PDU. */
  private lastDeleted = new Map<number, string>();
  private counts = { batches: 0, listed: 0, delflagDeletes: 0, indexDeletes: 0 };

  constructor(private readonly context: BatchReaderContext) {}

  /** Counters since construction. */
  get stats(): BatchReaderStats {
    return { ...this.counts };
  }

  /** True when no batch runs and none is due. */
  get idle(): boolean {
    return !this.running && !this.unreadDue && !this.fullDue;
  }

  /** A `+CMTI` (or `+CDSI`) for the home storage: a batch is due; coalesces with others. */
  indicate(): void {
    this.unreadDue = true;
    this.kick();
  }

  /**
   * Lists every message (`AT+CMGL=4`) in the next batch, persists and deletes them. Resolves with
   * the number of received messages found; rejects when the batch failed (a timeout, the port).
   */
  sweep(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.sweepWaiters.push({ resolve, reject });
      this.fullDue = true;
      this.kick();
    });
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.drain().finally(() => {
      this.running = false;
    });
  }

  /** Takes what is due (flags and sweep waiters) for the next list. */
  private takeDue(): Listing {
    const listing: Listing = { full: this.fullDue || !this.clean, wasClean: this.clean, waiters: this.sweepWaiters, messages: [] };
    this.sweepWaiters = [];
    this.unreadDue = false;
    this.fullDue = false;
    return listing;
  }

  private async drain(): Promise<void> {
    let listed: Listing | null = null; // a list that went out on the line of the last delete
    while (listed !== null || this.unreadDue || this.fullDue) {
      const listing: Listing = listed ?? this.takeDue();
      const fresh = listed === null;
      listed = null;
      try {
        if (fresh) listing.messages = await this.list(listing.full);
        listed = await this.finish(listing);
        for (const waiter of listing.waiters) waiter.resolve(listing.messages.length);
      } catch (error) {
        if (listing.waiters.length === 0) this.context.report(error);
        for (const waiter of listing.waiters) waiter.reject(error);
      }
    }
  }

  /** `AT+CMGL=<0 or 4>`: from here until the batch is persisted, listed messages are READ and not yet persisted. */
  private async list(full: boolean): Promise<StoredPdu[]> {
    this.counts.batches += 1;
    this.delflag ??= await this.probeDelflag();
    this.clean = false; // until this batch's messages are persisted (a lost answer leaves READ ones)
    const received = (await this.context.store.list(this.context.storage, full ? STAT_ALL : STAT_RECEIVED_UNREAD)).filter(isReceived);
    this.noteListed(received);
    return received;
  }

  private noteListed(received: readonly StoredPdu[]): void {
    this.counts.listed += received.length;
    this.checkDelflagHonoured(received);
  }

  /** Persists every listed message together, then deletes what was persisted; may return the next list. */
  private async finish(listing: Listing): Promise<Listing | null> {
    const received = listing.messages;
    const via = listing.full ? 'sweep' : 'cmti';
    const outcomes = await Promise.allSettled(received.map((message) => this.context.take(message, via)));
    const persisted: StoredPdu[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') persisted.push(received[i] as StoredPdu);
      else this.context.report(outcome.reason);
    });
    if (persisted.length === received.length) this.clean = listing.full || listing.wasClean;
    return persisted.length > 0 ? this.remove(persisted, this.clean) : null;
  }

  /**
   * Deletes `persisted`: one `AT+CMGD=<i>,1` when `readOnesPersisted` (every READ message is) and
   * the modem offers the flag, else one `AT+CMGD=<i>` each (queued together). When another batch
   * is already due, its list goes out on the same line as the delete flag and is returned.
   */
  private async remove(persisted: readonly StoredPdu[], readOnesPersisted: boolean): Promise<Listing | null> {
    const { store, storage } = this.context;
    const [first] = persisted;
    if (readOnesPersisted && this.delflag === true && first !== undefined) {
      if (this.combine && (this.unreadDue || this.fullDue)) return this.removeAndList(persisted, first.index);
      try {
        await store.deleteRead(storage, first.index);
        this.noteDeleted(persisted);
        return null;
      } catch (error) {
        if (!(error instanceof AtCommandError)) throw error;
        this.delflag = false; // refused: one index at a time from now on
      }
    }
    this.lastDeleted.clear();
    this.counts.indexDeletes += persisted.length;
    await Promise.all(persisted.map((m) => store.delete(m.storage, m.index)));
    return null;
  }

  /**
   * `AT+CMGD=<i>,1;+CMGL=<stat>`: the delete and the next batch's list in one serial round trip.
   * On ERROR it is unknown what ran, so nothing is assumed: the next batch lists ALL messages
   * and persists them before anything is deleted (the persisted ones come again and are
   * de-duplicated), and this connection stops combining.
   */
  private async removeAndList(persisted: readonly StoredPdu[], index: number): Promise<Listing | null> {
    const next = this.takeDue();
    this.counts.batches += 1;
    this.clean = false; // the list part marks messages READ
    try {
      next.messages = (await this.context.store.deleteReadThenList(this.context.storage, index, next.full ? STAT_ALL : STAT_RECEIVED_UNREAD)).filter(isReceived);
    } catch (error) {
      if (error instanceof AtCommandError) {
        this.combine = false;
        this.fullDue = true; // clean is false: the next list is a full one
        this.sweepWaiters.unshift(...next.waiters);
        return null;
      }
      for (const waiter of next.waiters) waiter.reject(error);
      throw error;
    }
    this.noteDeleted(persisted);
    this.noteListed(next.messages);
    return next;
  }

  private noteDeleted(persisted: readonly StoredPdu[]): void {
    this.counts.delflagDeletes += 1;
    this.lastDeleted = new Map(persisted.map((m) => [m.index, m.pduHex]));
  }

  /** A message the last delflag delete should have removed is listed again: the flag was ignored. */
  private checkDelflagHonoured(listed: readonly StoredPdu[]): void {
    if (this.lastDeleted.size === 0) return;
    if (listed.some((m) => this.lastDeleted.get(m.index) === m.pduHex)) this.delflag = false;
    this.lastDeleted.clear();
  }

  /** `AT+CMGD=?` (TS 27.005 §3.5.4): `+CMGD: (<indexes>),(<delflags>)`; true when 1 is offered. */
  private async probeDelflag(): Promise<boolean> {
    try {
      return (await this.context.store.deleteFlags()).includes(1);
    } catch (error) {
      if (error instanceof AtCommandError) return false;
      throw error;
    }
  }
}
