/**
 * The gateway's logger: pino, one JSON object per line (`level`, `time`, `msg`, and `modem` /
 * `device` where they apply), or a short human line when the output is a terminal. Secrets never
 * reach a line: fields named like a PIN, password, token or authorization are censored by pino's
 * `redact` (a Redis URL is logged through the config's `redactRedisUrl`). See docs/logging.md.
 */
import { pino, type Logger as PinoLogger } from 'pino';
import { prettyDestination } from './pretty.ts';

/** A logger of the gateway (pino's). Child loggers carry `modem` and `device` fields. */
export type Logger = PinoLogger;

/** Log levels, most to least verbose; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where log lines go: anything with `write(text)` (a stream, or a collector in tests). */
export interface LogDestination {
  write(text: string): unknown;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly level: LogLevel;
  /** Human lines instead of JSON (the composition root sets it when stdout is a terminal). */
  readonly pretty: boolean;
  /** Where lines go (the composition root passes stdout). */
  readonly destination: LogDestination;
}

const SECRET_KEYS = ['pin', 'puk', 'password', 'token', 'authorization', 'secret'];

/** pino `redact` paths: secret keys at the top level and up to three levels down. */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

/** Creates the root logger. See the file comment for the format. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.pretty ? prettyDestination(options.destination) : options.destination;
  return pino(
    {
      level: options.level,
      base: null, // no pid/hostname: systemd's journal has them
      redact: { paths: [...REDACT_PATHS], censor: '***' },
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    { write: (text: string) => void destination.write(text) },
  );
}

/** A logger that drops everything (the default of library entry points and tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' }, { write: () => undefined }); // not even a child with its own level writes
}
