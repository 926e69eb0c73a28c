/**
 * The processes one end-to-end test starts (`smsbridge run`, `core`, `sim …`) and what it must
 * release afterwards, for test files: after each test every process still running is killed
 * (SIGCONT first, for one a test left stopped with SIGSTOP, then SIGKILL), newest first, then the
 * clean-ups run, newest first, one failing not stopping the others.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from './private-redis.ts';
import { startSmsbridge, type SmsbridgeProcess, type SpawnOptions } from './smsbridge-run.ts';

/** What {@link useSmsbridgeProcesses} gives a test file. */
export interface SmsbridgeProcesses {
  /** Starts `smsbridge <args>` (see {@link startSmsbridge}); killed after the current test. */
  start(...args: string[]): SmsbridgeProcess;
  /** Runs `cleanup` after the current test, once its processes are killed. */
  onCleanup(cleanup: () => Promise<unknown>): void;
  /** A private Redis (test/support/private-redis.ts) for the current test, stopped after it. */
  privateRedis(): Promise<PrivateRedis>;
  /** A new directory under the system's temporary one, named `<prefix>…`, removed after the current test. */
  tempDir(prefix: string): Promise<string>;
}

/**
 * Registers the `afterEach` hook; call once at the top level of a test file. `options.env` is
 * added to the environment of every process {@link SmsbridgeProcesses.start} starts.
 */
export function useSmsbridgeProcesses(options: SpawnOptions = {}): SmsbridgeProcesses {
  const started: SmsbridgeProcess[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const { child } of started.splice(0).reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });
  const onCleanup = (cleanup: () => Promise<unknown>): void => void cleanups.push(cleanup);
  return {
    start: (...args) => {
      const process = startSmsbridge(args, options);
      started.push(process);
      return process;
    },
    onCleanup,
    privateRedis: async () => {
      const redis = await startPrivateRedis();
      onCleanup(() => redis.stop());
      return redis;
    },
    tempDir: async (prefix) => {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      onCleanup(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
  };
}
