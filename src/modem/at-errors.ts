/**
 * Errors of the AT channel. Codes come from the one registry (src/shared/errors.ts).
 */
import { GatewayError } from '../shared/errors.ts';
import type { FinalResult } from './at/line-parser.ts';

/** Which error final result a command got. */
export type AtErrorKind = 'error' | 'cme' | 'cms' | 'connection';

/**
 * The modem answered `ERROR`, `+CME ERROR: <n>` (TS 27.007 §9.2) or `+CMS ERROR: <n>`
 * (TS 27.005 §3.2.5). `code` is the numeric error where known, else null.
 */
export class AtCommandError extends GatewayError {
  readonly command: string;
  readonly kind: AtErrorKind;
  readonly errorCode: number | null;
  readonly errorText: string | null;

  constructor(command: string, result: Exclude<FinalResult, { kind: 'ok' }>) {
    const errorCode = result.kind === 'cme' || result.kind === 'cms' ? result.code : null;
    const errorText = result.text ?? null;
    const label = result.kind === 'cme' || result.kind === 'cms' ? `+${result.kind.toUpperCase()} ERROR: ${errorCode ?? errorText}` : (errorText ?? 'ERROR');
    super('GW_ERR_AT_COMMAND', `${command} answered ${label}`, { command, kind: result.kind, errorCode, errorText });
    this.command = command;
    this.kind = result.kind;
    this.errorCode = errorCode;
    this.errorText = errorText;
  }

  /** True for `+CME ERROR: <code>` / `+CMS ERROR: <code>` with that code. */
  is(kind: 'cme' | 'cms', code: number): boolean {
    return this.kind === kind && this.errorCode === code;
  }
}

/**
 * No final result in time. `pduWritten` is true when an `AT+CMGS` PDU had been written before
 * the time ran out: the SMS may have left, so its outcome is unknown.
 */
export class AtTimeoutError extends GatewayError {
  readonly command: string;
  readonly timeoutMs: number;
  readonly pduWritten: boolean;

  constructor(command: string, timeoutMs: number, pduWritten = false) {
    super('GW_ERR_AT_TIMEOUT', `${command}: no final result within ${timeoutMs} ms`, { command, timeoutMs, pduWritten });
    this.command = command;
    this.timeoutMs = timeoutMs;
    this.pduWritten = pduWritten;
  }
}

/** The port closed while the command was queued or in flight (`pduWritten` as above). */
export class AtClosedError extends GatewayError {
  readonly pduWritten: boolean;

  constructor(command: string, reason: string, pduWritten = false) {
    super('GW_ERR_AT_CLOSED', `${command}: ${reason}`, { command, pduWritten });
    this.pduWritten = pduWritten;
  }
}
