/**
 * superviseService: what `run` and `demo` share around their start and stop, with the process
 * replaced by an event emitter that records exits and SIGUSR2 listeners (the real processes are
 * tested in e2e/run-service.test.ts, the demo tests and integration/service-lifecycle.test.ts).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/io.ts';
import { superviseService } from '../../../src/cli/service-supervisor.ts';

function fakeIo(withProcess: boolean) {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  let stopInProcess: (signal: string) => void = () => undefined;
  const io = {
    out: () => undefined, err: () => undefined, json: () => undefined,
    untilStopped: () => new Promise<string>((resolve) => (stopInProcess = resolve)),
    onAtTraceSignal: (listener: () => void) => {
      emitter.on('SIGUSR2', listener);
      return () => void emitter.off('SIGUSR2', listener);
    },
    ...(withProcess ? { signals: { on: emitter.on.bind(emitter), off: emitter.off.bind(emitter), exit: (code: number) => void exits.push(code) } } : {}),
  } as unknown as CliIo;
  return { io, exits, emitter, stopInProcess: (signal: string) => stopInProcess(signal) };
}

describe('superviseService', () => {
  it('aborts the start-up at the first signal, switches the AT trace on SIGUSR2 until the end, and exits 0 after a clean stop', async () => {
    const fake = fakeIo(true);
    const supervisor = superviseService(fake.io, () => undefined);
    let toggles = 0;
    supervisor.onAtTraceSignal(() => (toggles += 1));
    fake.emitter.emit('SIGUSR2');
    expect(toggles).toBe(1);
    fake.emitter.emit('SIGTERM', 'SIGTERM');
    expect(await supervisor.stopRequested).toBe('SIGTERM');
    expect(supervisor.startSignal.aborted).toBe(true);
    let stopped = false;
    await supervisor.finish(async () => void (stopped = true));
    expect([stopped, fake.exits]).toEqual([true, [0]]);
    fake.emitter.emit('SIGUSR2');
    expect(toggles).toBe(1); // the switch ends with the run
    expect(fake.emitter.listenerCount('SIGTERM') + fake.emitter.listenerCount('SIGINT') + fake.emitter.listenerCount('SIGUSR2')).toBe(0);
  });

  it('in-process (no process handed in): ends on untilStopped, never exits, and finish settles as the stop does', async () => {
    const fake = fakeIo(false);
    const supervisor = superviseService(fake.io, () => undefined);
    fake.stopInProcess('test');
    expect(await supervisor.stopRequested).toBe('test');
    expect(supervisor.startSignal.aborted).toBe(true);
    await expect(supervisor.finish(async () => Promise.reject(new Error('stop failed')))).rejects.toThrow('stop failed');
    expect(fake.exits).toEqual([]);
  });

  it('abandon (the start-up failed) removes every listener and exits nothing', () => {
    const fake = fakeIo(true);
    const supervisor = superviseService(fake.io, () => undefined);
    supervisor.onAtTraceSignal(() => undefined);
    supervisor.abandon();
    expect(fake.emitter.listenerCount('SIGTERM') + fake.emitter.listenerCount('SIGINT') + fake.emitter.listenerCount('SIGUSR2')).toBe(0);
    expect(fake.exits).toEqual([]);
  });
});
