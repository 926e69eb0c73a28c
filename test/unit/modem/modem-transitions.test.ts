import { describe, expect, it } from 'vitest';
import { MODEM_TRANSITIONS, nextModemState, type ModemEvent } from '../../../src/modem/modem-transitions.ts';
import type { ModemState } from '../../../src/modem/modem-types.ts';

const STATES = Object.keys(MODEM_TRANSITIONS) as ModemState[];
const EVENTS: readonly ModemEvent[] = [
  'start', 'port-opened', 'port-lost', 'reopen', 'initialised', 'fault', 'healthy', 'reset', 'reinitialise', 'block', 'unblock', 'sim-locked', 'stop',
];

function reachableFrom(start: ModemState): Set<ModemState> {
  const seen = new Set<ModemState>([start]);
  const queue = [start];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const next of Object.values(MODEM_TRANSITIONS[state])) {
      if (next !== undefined && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

describe('the modem driver transition table', () => {
  it('has a row for every state of ModemState', () => {
    expect([...STATES].sort()).toEqual(['blocked', 'degraded', 'disconnected', 'failed', 'initialising', 'opening', 'ready', 'resetting', 'stopped']);
  });

  it('reaches every state from stopped', () => {
    expect([...reachableFrom('stopped')].sort()).toEqual([...STATES].sort());
  });

  it('leaves stopped only by start', () => {
    for (const event of EVENTS) expect(nextModemState('stopped', event)).toBe(event === 'start' ? 'opening' : null);
  });

  it('stops from every other state, and stop is the only way into stopped', () => {
    for (const state of STATES) {
      if (state !== 'stopped') expect(nextModemState(state, 'stop')).toBe('stopped');
      for (const event of EVENTS) {
        if (event !== 'stop' && state !== 'stopped') expect(nextModemState(state, event)).not.toBe('stopped');
      }
    }
  });

  it('serves (ready) only after initialising or a healthy watchdog, and is failed only by a locked SIM', () => {
    const into = (target: ModemState): string[] => STATES.flatMap((state) =>
      EVENTS.filter((event) => state !== target && nextModemState(state, event) === target).map((event) => `${state} ${event}`)).sort();
    expect(into('ready')).toEqual(['degraded healthy', 'initialising initialised']);
    expect(into('failed')).toEqual(['initialising sim-locked']);
    expect(into('initialising')).toEqual(['opening port-opened', 'resetting reinitialise']);
  });

  it('walks the life of a modem: open, serve, fault, escalate, lose the port, block, stop', () => {
    const walk: [ModemEvent, ModemState][] = [
      ['start', 'opening'], ['port-opened', 'initialising'], ['initialised', 'ready'], ['fault', 'degraded'],
      ['reset', 'resetting'], ['reinitialise', 'initialising'], ['initialised', 'ready'], ['port-lost', 'disconnected'],
      ['reopen', 'opening'], ['port-lost', 'disconnected'], ['block', 'blocked'], ['unblock', 'opening'], ['stop', 'stopped'],
    ];
    let state: ModemState = 'stopped';
    for (const [event, expected] of walk) {
      const next = nextModemState(state, event);
      expect(next, `${state} --${event}-->`).toBe(expected);
      state = next ?? state;
    }
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(MODEM_TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(MODEM_TRANSITIONS.stopped)).toBe(true);
  });
});
