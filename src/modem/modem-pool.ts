/**
 * The modem pool: several modems, routing of outbound messages by destination prefix to a
 * modem group (smstools providers→queues, Kannel preferred-smsc-id), then by health and load;
 * a send rate limit per modem; all parts of a message on one modem (a recipient reassembles
 * parts by originator, TS 23.040 §9.2.3.24.1, so parts from two SIMs never meet); and work of a
 * failed or blocked modem moved to another.
 */
import { GatewayError } from '../shared/errors.ts';
import type { ModemDriver } from './modem-driver.ts';
import type { SendRequest, SendResult } from './modem-types.ts';
import { TokenBucket } from './token-bucket.ts';

/** A routing rule: destinations starting with `prefix` go to modems of `group`. */
export interface RouteRule {
  /** Digits, optionally with a leading `+` (compared on digits). Empty matches every number. */
  readonly prefix: string;
  readonly group: string;
}

/** One modem in the pool. */
export interface PoolMember {
  readonly driver: ModemDriver;
  /** Groups this modem serves (routing targets). */
  readonly groups: readonly string[];
  /** Most SMS parts per second this modem may send; 0 for no limit. */
  readonly maxPartsPerSec: number;
}

/** Options of {@link ModemPool}. */
export interface ModemPoolOptions {
  /** Checked in order; the longest matching prefix wins. No match: any modem. */
  readonly routes?: readonly RouteRule[];
}

interface MemberState {
  readonly member: PoolMember;
  readonly bucket: TokenBucket;
  /** Messages queued or being sent on this modem. */
  inFlight: number;
  /** Serialises messages per modem so the rate limiter sees them in order. */
  tail: Promise<unknown>;
  lastUsedMs: number;
}

/**
 * What the caller of {@link ModemPool.send} knows about messages waiting outside the pool (the
 * outbound queue's jobs, handed over one per modem at a time): whether more will go out on the
 * modem named `modem` after this one. Asked when the message's turn on that modem comes (after
 * the messages before it and the rate limit), so it sees what was queued meanwhile. Must not throw.
 */
export type MoreQueuedProbe = (modem: string) => boolean;

/** Options of one {@link ModemPool.send}. */
export interface PoolSendOptions {
  /** A modem name that goes first when it can send. */
  readonly preferredModem?: string | null;
  /** Only `preferredModem`: no other stands in for it. */
  readonly onlyPreferred?: boolean;
  /**
   * More messages wait outside the pool for the chosen modem: the driver keeps the relay link up
   * for them (`AT+CMMS=1`, TS 27.005 §3.5.6) as for messages queued in the pool. Absent: only the
   * pool's own queue counts.
   */
  readonly moreQueued?: MoreQueuedProbe;
}

/** The pool is draining or stopped: it takes no new message. */
const stoppingError = (): GatewayError => new GatewayError('GW_ERR_POOL_NO_MODEM', 'the modem pool is stopping and takes no new message', { group: null });

const digitsOf = (text: string): string => text.replace(/\D/g, '');

/**
 * Contract: `send` picks the best modem for the destination and resolves with its
 * {@link SendResult}. When a modem cannot take the message at all (unavailable, or refused the
 * first part so that nothing left), the next candidate is tried; a message of which some part
 * left, or whose outcome is unknown, is never moved or resent. Rejects with GW_ERR_POOL_NO_MODEM
 * when no modem of the route can send now.
 */
export class ModemPool {
  private readonly members: MemberState[];
  private readonly routes: readonly RouteRule[];
  private draining = false;

  constructor(members: readonly PoolMember[], options: ModemPoolOptions = {}) {
    const now = Date.now();
    this.members = members.map((member) => ({
      member, inFlight: 0, tail: Promise.resolve(), lastUsedMs: 0,
      bucket: new TokenBucket({ ratePerSec: member.maxPartsPerSec }, now),
    }));
    this.routes = [...(options.routes ?? [])].sort((a, b) => digitsOf(b.prefix).length - digitsOf(a.prefix).length);
  }

  /** The drivers of the pool. */
  get drivers(): ModemDriver[] {
    return this.members.map((m) => m.member.driver);
  }

  /** Starts every modem. */
  start(): void {
    for (const { member } of this.members) member.driver.start();
  }

  /**
   * Stops taking messages and resolves when the message each modem is sending now has its
   * outcome, so no `AT+CMGS` is cut off by closing the port (its SMS would be left unknown).
   * From the call on, `send` rejects with GW_ERR_POOL_NO_MODEM, and messages queued behind the
   * one in flight are refused the same way instead of being started. Never rejects.
   */
  async drain(): Promise<void> {
    this.draining = true;
    await Promise.all(this.members.map((state) => state.tail));
  }

  /** Stops every modem (closes their ports; an `AT+CMGS` in flight is cut off: {@link drain} first). */
  async stop(): Promise<void> {
    await Promise.all(this.members.map(({ member }) => member.driver.stop()));
  }

  /** The group a destination routes to, or null when no rule matches (any modem). */
  groupFor(destination: string): string | null {
    const number = digitsOf(destination);
    return this.routes.find((rule) => number.startsWith(digitsOf(rule.prefix)))?.group ?? null;
  }

  /**
   * Candidates for a destination, best first: modems of the route's group that can send now,
   * `ready` before `degraded`, then fewest messages in flight, then least recently used.
   */
  candidates(destination: string): ModemDriver[] {
    return this.rankedStates(destination).map((s) => s.member.driver);
  }

  /**
   * Sends one message; see the class contract. `preferredModem` (a modem name) goes first when it
   * can send: a device that knows one gateway number accepts SMS only from it. With
   * `onlyPreferred` no other modem stands in for it (an SMS from another number would be
   * discarded by the device): GW_ERR_POOL_NO_MODEM when it cannot send. `moreQueued`: see
   * {@link PoolSendOptions}.
   */
  async send(request: SendRequest, options: PoolSendOptions = {}): Promise<SendResult> {
    if (this.draining) throw stoppingError();
    const tried = new Set<MemberState>();
    let lastFailure: SendResult | null = null;
    const only = options.onlyPreferred === true ? (options.preferredModem ?? null) : null;
    for (;;) {
      const ranked = this.rankedStates(request.recipient, options.preferredModem ?? null).filter((s) => only === null || s.member.driver.config.name === only);
      const state = ranked.find((s) => !tried.has(s));
      if (state === undefined) break;
      tried.add(state);
      let result: SendResult;
      try {
        result = await this.sendOn(state, request, options.moreQueued);
      } catch (error) {
        if (error instanceof GatewayError && error.code === 'GW_ERR_MODEM_UNAVAILABLE') continue;
        throw error;
      }
      const nothingLeft = result.sent.length === 0 && result.failure?.outcome === 'failed';
      if (!nothingLeft) return result;
      lastFailure = result; // refused before anything left: another modem may do better
    }
    if (lastFailure !== null) return lastFailure;
    const group = this.groupFor(request.recipient);
    if (only !== null) throw new GatewayError('GW_ERR_POOL_NO_MODEM', `modem "${only}" cannot send to ${request.recipient} now`, { group, modem: only });
    throw new GatewayError('GW_ERR_POOL_NO_MODEM', `no modem${group ? ` of group "${group}"` : ''} can send to ${request.recipient} now`, { group });
  }

  private rankedStates(destination: string, preferredModem: string | null = null): MemberState[] {
    const group = this.groupFor(destination);
    const rank = (s: MemberState): number => (s.member.driver.config.name === preferredModem ? -1 : s.member.driver.state === 'ready' ? 0 : 1);
    return this.members
      .filter((s) => group === null || s.member.groups.includes(group) || s.member.driver.config.name === preferredModem)
      .filter((s) => s.member.driver.state === 'ready' || s.member.driver.state === 'degraded')
      .sort((a, b) => rank(a) - rank(b) || a.inFlight - b.inFlight || a.lastUsedMs - b.lastUsedMs);
  }

  /** Queues the message on one modem behind its earlier messages and its rate limit. */
  private sendOn(state: MemberState, request: SendRequest, moreQueued: MoreQueuedProbe | undefined): Promise<SendResult> {
    state.inFlight += 1;
    state.lastUsedMs = Date.now();
    const run = async (): Promise<SendResult> => {
      if (this.draining) throw stoppingError();
      const waitMs = state.bucket.delayMs(request.parts.length, Date.now());
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      state.bucket.take(request.parts.length, Date.now());
      // Messages behind this one, in the pool or waiting outside it for this modem: the driver
      // keeps the relay link up for them (AT+CMMS=1, TS 27.005 §3.5.6).
      const more = state.inFlight > 1 || moreQueued?.(state.member.driver.config.name) === true;
      return state.member.driver.send(request, { moreQueued: more });
    };
    const result = state.tail.then(run, run);
    state.tail = result.catch(() => undefined);
    return result.finally(() => {
      state.inFlight -= 1;
    });
  }
}
