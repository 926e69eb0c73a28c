/**
 * The modem driver's state machine as data: which event moves which state where. Pure; the
 * driver applies an event only when this table has a row for it, so a step that finishes after
 * `stop()` (an open that completes late, an initialisation still running) cannot move a stopped
 * driver anywhere. ModemManager keeps its port and SIM handling in explicit, cancellable state
 * machines for the same reason (../shared/reference/modem-gateways.md).
 *
 *   stopped ─start─► opening ─port-opened─► initialising ─initialised─► ready ◄─fault/healthy─► degraded
 *   opening, initialising, ready, degraded, resetting ─port-lost─► disconnected ─reopen─► opening
 *   initialising, ready, degraded ─reset─► resetting ─reinitialise─► initialising
 *   opening … disconnected ─block─► blocked ─unblock─► opening
 *   initialising ─sim-locked─► failed ─start─► opening
 *   every state but stopped ─stop─► stopped
 */
import type { ModemState } from './modem-types.ts';

/** What happens to a driver. */
export type ModemEvent =
  /** `start()`. */
  | 'start'
  /** The port is open (a new connection). */
  | 'port-opened'
  /** The port could not be opened, vanished, or is reopened on purpose (escalation). */
  | 'port-lost'
  /** The back-off after a lost port is over. */
  | 'reopen'
  /** Initialisation succeeded: the modem serves. */
  | 'initialised'
  /** A command timed out or the port failed while serving. */
  | 'fault'
  /** The watchdog got answers again. */
  | 'healthy'
  /** Escalation or a modem that rebooted by itself: re-initialise (maybe after reset commands). */
  | 'reset'
  /** The reset commands were sent: initialise again on the same port. */
  | 'reinitialise'
  /** Too many consecutive errors: the port is closed for `blockTimeMs`. */
  | 'block'
  /** `blockTimeMs` is over. */
  | 'unblock'
  /** The SIM needs a person (wrong PIN, PUK). */
  | 'sim-locked'
  /** `stop()`. */
  | 'stop';

const RUNNING: readonly ModemState[] = ['opening', 'initialising', 'ready', 'degraded', 'resetting', 'disconnected', 'blocked', 'failed'];

function table(): Readonly<Record<ModemState, Readonly<Partial<Record<ModemEvent, ModemState>>>>> {
  const rows: Record<ModemState, Partial<Record<ModemEvent, ModemState>>> = {
    stopped: { start: 'opening' },
    opening: { 'port-opened': 'initialising', 'port-lost': 'disconnected', block: 'blocked' },
    initialising: { initialised: 'ready', 'port-lost': 'disconnected', reset: 'resetting', block: 'blocked', 'sim-locked': 'failed' },
    ready: { fault: 'degraded', 'port-lost': 'disconnected', reset: 'resetting', block: 'blocked' },
    degraded: { healthy: 'ready', 'port-lost': 'disconnected', reset: 'resetting', block: 'blocked' },
    resetting: { reinitialise: 'initialising', 'port-lost': 'disconnected', block: 'blocked' },
    disconnected: { reopen: 'opening', block: 'blocked' },
    blocked: { unblock: 'opening' },
    failed: { start: 'opening' },
  };
  for (const state of RUNNING) rows[state].stop = 'stopped';
  for (const row of Object.values(rows)) Object.freeze(row);
  return Object.freeze(rows);
}

/** Every allowed transition: `MODEM_TRANSITIONS[state][event]` is the next state. */
export const MODEM_TRANSITIONS = table();

/** The state `event` leads to from `state`, or null when the event does not apply there. */
export function nextModemState(state: ModemState, event: ModemEvent): ModemState | null {
  return MODEM_TRANSITIONS[state][event] ?? null;
}
