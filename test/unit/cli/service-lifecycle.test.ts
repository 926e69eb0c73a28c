/**
 * ServiceLifecycle's decisions, with the process replaced by an event emitter that records
 * exits (the real-process behaviour is tested in test/integration/service-lifecycle.test.ts).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ServiceLifecycle } from '../../../src/cli/service-lifecycle.ts';

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return {
    exits,
    signal: (name: 'SIGINT' | 'SIGTERM') => emitter.emit(name, name),
    listeners: () => emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGTERM'),
    proc: { on: emitter.on.bind(emitter), off: emitter.off.bind(emitter), exit: (code: number) => void exits.push(code) },
  };
}

describe('ServiceLifecycle', () => {
  it('takes one Ctrl-C delivered twice (terminal and npm) as one request and ends with the stop', async () => {
    const fake = fakeProcess();
    const log: string[] = [];
    const lifecycle = new ServiceLifecycle(fake.proc, { log: (line) => log.push(line), duplicateSignalWindowMs: 60_000 });
    fake.signal('SIGINT');
    fake.signal('SIGINT');
    expect(await lifecycle.stopRequested).toBe('SIGINT');
    expect(fake.exits).toEqual([]);
    await lifecycle.shutdown(async () => undefined);
    expect(fake.exits).toEqual([0]);
    expect(log.some((line) => line.includes('taken as the same request'))).toBe(true);
    expect(fake.listeners()).toBe(0);
  });

  it('exits at once with 128 + n on another signal, or on the same one after the duplicate window', () => {
    const a = fakeProcess();
    new ServiceLifecycle(a.proc, { log: () => undefined, duplicateSignalWindowMs: 60_000 });
    a.signal('SIGTERM');
    a.signal('SIGINT');
    expect(a.exits).toEqual([130]);

    const b = fakeProcess();
    new ServiceLifecycle(b.proc, { log: () => undefined, duplicateSignalWindowMs: 0 });
    b.signal('SIGTERM');
    b.signal('SIGTERM');
    expect(b.exits).toEqual([143]);
  });

  it('a signal during a shutdown that began without one (end of --duration) exits at once', async () => {
    const fake = fakeProcess();
    const lifecycle = new ServiceLifecycle(fake.proc, { log: () => undefined });
    let release: () => void = () => undefined;
    const done = lifecycle.shutdown(() => new Promise<void>((resolve) => (release = resolve)));
    fake.signal('SIGINT');
    expect(fake.exits).toEqual([130]);
    release();
    await done;
  });

  it('exits 1 with a log line when the stop rejects', async () => {
    const fake = fakeProcess();
    const log: string[] = [];
    const lifecycle = new ServiceLifecycle(fake.proc, { log: (line) => log.push(line) });
    await lifecycle.shutdown(async () => {
      throw new Error('the modem port did not close');
    });
    expect(fake.exits).toEqual([1]);
    expect(log).toContain('stop failed: the modem port did not close: exiting with 1');
  });
});
