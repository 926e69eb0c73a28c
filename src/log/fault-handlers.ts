/**
 * The last safety net of the process: an unhandled promise rejection or an uncaught exception is
 * logged (with its stack) and counted instead of ending the process without a word. The root
 * causes are fixed where they arise; a line from here is a defect to report. The composition
 * root (src/main.ts, the only module that touches `process`) installs it.
 */
import type { Logger } from './logger.ts';

/** What {@link installFaultHandlers} needs of `process`. */
export interface FaultSource {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (error: Error) => void): unknown;
  off(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  off(event: 'uncaughtException', listener: (error: Error) => void): unknown;
}

/** Counts of what the net caught since it was installed. */
export interface FaultCounters {
  unhandledRejections: number;
  uncaughtExceptions: number;
}

/** Installed handlers: their counters, and a function that removes them. */
export interface FaultHandlers {
  readonly counters: Readonly<FaultCounters>;
  uninstall(): void;
}

/**
 * Installs `unhandledRejection` and `uncaughtException` listeners on `source` that log at
 * `error` / `fatal` with code GW_ERR_INTERNAL and count. The process goes on: a gateway holding
 * SMS in flight must not die of one defect (systemd restarts it when it does exit).
 */
export function installFaultHandlers(source: FaultSource, logger: Logger): FaultHandlers {
  const counters: FaultCounters = { unhandledRejections: 0, uncaughtExceptions: 0 };
  const onRejection = (reason: unknown): void => {
    counters.unhandledRejections += 1;
    logger.error({ code: 'GW_ERR_INTERNAL', err: asError(reason), count: counters.unhandledRejections }, 'unhandled promise rejection (a defect: please report this line)');
  };
  const onException = (error: Error): void => {
    counters.uncaughtExceptions += 1;
    logger.fatal({ code: 'GW_ERR_INTERNAL', err: asError(error), count: counters.uncaughtExceptions }, 'uncaught exception (a defect: please report this line)');
  };
  source.on('unhandledRejection', onRejection);
  source.on('uncaughtException', onException);
  return {
    counters,
    uninstall: () => {
      source.off('unhandledRejection', onRejection);
      source.off('uncaughtException', onException);
    },
  };
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
