/**
 * The receive route's state machine as data (`receiveRoute: auto`): which event moves which
 * route state where. Pure, like MODEM_TRANSITIONS (modem-transitions.ts); the controller
 * (receive-route.ts) applies an event only when this table has a row for it.
 *
 *   direct ─burst─► to-stored ─switched─► stored ─quiet─► to-direct ─switched─► direct
 *   to-stored ─refused─► direct-fixed        to-direct ─refused─► stored-fixed
 *
 * `direct`: `AT+CNMI` with `<mt>`=2, each SMS a `+CMT` acknowledged with `AT+CNMA` after it was
 * persisted (TS 27.005 §3.4.1, §3.4.4). `stored`: `<mt>`=1, each SMS stored and announced with
 * `+CMTI`, read in batches (stored-batch.ts). `direct-fixed`, `stored-fixed`: no switching on
 * this connection (configured so, the profile or the modem allows only one route, or the modem
 * refused a switch: it is not asked again).
 */

/** Where the receive route of one connection is. */
export type ReceiveRouteState = 'direct' | 'to-stored' | 'stored' | 'to-direct' | 'direct-fixed' | 'stored-fixed';

/** What happens to the receive route. */
export type ReceiveRouteEvent =
  /** SMS arrive back to back on the direct route (see {@link RECEIVE_ROUTE_THRESHOLDS}). */
  | 'burst'
  /** The modem answered OK to the `AT+CNMI` of the switch. */
  | 'switched'
  /** The modem refused the `AT+CNMI` of the switch (or did not answer). */
  | 'refused'
  /** Nothing arrived for a while and nothing is left to read on the stored route. */
  | 'quiet';

const ROUTE_TABLE: Readonly<Record<ReceiveRouteState, Readonly<Partial<Record<ReceiveRouteEvent, ReceiveRouteState>>>>> = Object.freeze({
  direct: Object.freeze({ burst: 'to-stored' }),
  'to-stored': Object.freeze({ switched: 'stored', refused: 'direct-fixed' }),
  stored: Object.freeze({ quiet: 'to-direct' }),
  'to-direct': Object.freeze({ switched: 'direct', refused: 'stored-fixed' }),
  'direct-fixed': Object.freeze({}),
  'stored-fixed': Object.freeze({}),
});

/** The state `event` leads to from `state`, or null when the event does not apply there. */
export function nextReceiveRouteState(state: ReceiveRouteState, event: ReceiveRouteEvent): ReceiveRouteState | null {
  return ROUTE_TABLE[state][event] ?? null;
}

/**
 * The route the modem is known to route by in `state` (for status and metrics): while a switch
 * is on the line the modem still routes by the old setting until it answered OK.
 */
export function routeOfState(state: ReceiveRouteState): 'direct' | 'stored' {
  return state === 'direct' || state === 'to-stored' || state === 'direct-fixed' ? 'direct' : 'stored';
}

/** When the adaptive route switches. Durations in ms. */
export interface ReceiveRouteThresholds {
  /** A `+CMT` that arrives within this time after the previous `AT+CNMA` went out came back to back. */
  readonly backToBackGapMs: number;
  /** This many back-to-back `+CMT` in a row are a burst: the route switches to stored. */
  readonly burstLength: number;
  /** On the stored route, no SMS for this long and nothing left to read: back to direct. */
  readonly quietMs: number;
}

/**
 * The thresholds in force. A +CMT that follows our acknowledgement within 250 ms means the
 * network had the next SMS waiting (the simulated network answers in about 1 ms, a real one in
 * tens of ms; a person's next SMS takes seconds). The first such, i.e. the second SMS of a run:
 * more are likely, and from then on the stored route (the network's next delivery overlaps our
 * work) beats one `AT+CNMA` round trip per SMS (docs/benchmarks.md, modem-receive). Every SMS
 * taken directly in a burst costs one full round trip during which the network waits, which is
 * what the default route loses against the stored route in batches at the start of a burst;
 * the more loaded the machine, the longer that loop (until 2026-12-07 06:40 the switch came on
 * the third SMS: medians 1.1–2.1× lower in alternating runs, docs/benchmarks.md). The price: a
 * two-part SMS whose parts come back to back switches too (five commands with both switches and
 * the list after the switch back, instead of two; its latency is the same). Two seconds without
 * SMS end the burst.
 */
export const RECEIVE_ROUTE_THRESHOLDS: ReceiveRouteThresholds = Object.freeze({
  backToBackGapMs: 250,
  burstLength: 1,
  quietMs: 2_000,
});

/**
 * Counts back-to-back `+CMT` (pure; times are given). Contract: {@link arrived} returns true on
 * the `burstLength`-th back-to-back arrival in a row, then starts counting again.
 */
export class BurstDetector {
  private lastAckAtMs: number | null = null;
  private run = 0;

  constructor(private readonly thresholds: ReceiveRouteThresholds) {}

  /** A `+CMT` arrived at `nowMs`: true when it completes a burst. */
  arrived(nowMs: number): boolean {
    const backToBack = this.lastAckAtMs !== null && nowMs - this.lastAckAtMs <= this.thresholds.backToBackGapMs;
    this.lastAckAtMs = null;
    this.run = backToBack ? this.run + 1 : 0;
    if (this.run < this.thresholds.burstLength) return false;
    this.run = 0;
    return true;
  }

  /** Our `AT+CNMA` went out at `nowMs` (`AT+CNMA=2` is not counted; a refused one: call {@link reset}). */
  acknowledged(nowMs: number): void {
    this.lastAckAtMs = nowMs;
  }

  /** Forget the run (a failed persistence, a switch). */
  reset(): void {
    this.lastAckAtMs = null;
    this.run = 0;
  }
}
