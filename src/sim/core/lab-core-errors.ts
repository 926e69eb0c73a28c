/**
 * Errors of the lab core's downlink requests ({@link LabCoreRequestError}).
 */
import { GatewayError, type ErrorCode } from '../../shared/errors.ts';

/**
 * Why a downlink request of the lab core failed. Stable; callers (the HTTP API, tests) branch on
 * it, not on the registry code.
 * - `bad-request`: the caller's arguments are invalid (a path that is not an LwM2M path).
 * - `unknown-client`: no registration has that endpoint name.
 * - `timeout`: no acknowledgement after the last retransmission, or no response within the
 *   response timeout.
 * - `reset`: the client rejected the request with a Reset (RFC 7252 §4.2).
 * - `stopped`: the lab core stopped while the request was outstanding.
 */
export type LabCoreFailure = 'bad-request' | 'unknown-client' | 'timeout' | 'reset' | 'stopped';

/** Registry code of each failure. */
export const LAB_CORE_FAILURE_CODES: Readonly<Record<LabCoreFailure, ErrorCode>> = Object.freeze({
  'bad-request': 'GW_ERR_CONFIG',
  'unknown-client': 'GW_ERR_CORE_UNKNOWN_CLIENT',
  timeout: 'GW_ERR_CORE_TIMEOUT',
  reset: 'GW_ERR_CORE_RESET',
  stopped: 'GW_ERR_CORE_STOPPED',
});

/**
 * A downlink request (Read, Write, Execute, …) of the lab core failed without a CoAP response.
 * A response with an error code (4.04, 5.00, …) is not an error: it resolves normally.
 * `details` carries `failure` and, where known, `endpoint`, `path`, `retransmissions` and
 * `elapsedMs`.
 */
export class LabCoreRequestError extends GatewayError {
  readonly failure: LabCoreFailure;

  constructor(failure: LabCoreFailure, message: string, details: Record<string, unknown> = {}) {
    super(LAB_CORE_FAILURE_CODES[failure], message, { failure, ...details });
    this.failure = failure;
  }
}
