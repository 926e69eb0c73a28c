/**
 * Logging of lwm2m-sms-bridge: the pino logger, redaction of secrets (fields, URLs, AT trace
 * lines), the terminal pretty printer and the process-level fault handlers. See docs/logging.md.
 */
export { createLogger, silentLogger, LOG_LEVELS, REDACT_PATHS, type Logger, type LogLevel, type LogDestination, type LoggerOptions } from './logger.ts';
export { redactAtLine, REDACTED } from './at-trace-redact.ts';
export { formatPrettyLine, prettyDestination } from './pretty.ts';
export { installFaultHandlers, type FaultCounters, type FaultHandlers, type FaultSource } from './fault-handlers.ts';
