/**
 * A real pino logger (src/log) whose JSON lines are kept in memory, for tests that read the logs.
 */
import { createLogger, type Logger, type LogLevel } from '../../src/log/index.ts';

/** A parsed log line. */
export type LogRecord = Record<string, unknown> & { level: string; msg: string };

/** The logger, its raw lines and their parsed records. */
export interface CapturedLog {
  readonly logger: Logger;
  /** Every line written, as written. */
  readonly lines: string[];
  /** Every line parsed. */
  records(): LogRecord[];
  /** Records whose message contains `text`. */
  matching(text: string): LogRecord[];
}

/** Starts capturing at `level` (default `debug`). */
export function captureLog(level: LogLevel = 'debug'): CapturedLog {
  const lines: string[] = [];
  const logger = createLogger({ level, pretty: false, destination: { write: (text) => lines.push(...text.split('\n').filter((l) => l.length > 0)) } });
  const records = (): LogRecord[] => lines.map((line) => JSON.parse(line) as LogRecord);
  return { logger, lines, records, matching: (text) => records().filter((r) => r.msg.includes(text)) };
}
