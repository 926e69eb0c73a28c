/**
 * The registration requests the core has not answered yet, held by the registration mirror until
 * the core's response applies them (or they time out). Keyed by endpoint and CoAP token (RFC 7252
 * §5.3.2: the token matches a response to its request).
 */
import type { CoapMessage } from './coap-message.ts';
import type { DeviceRecord } from './device-record.ts';
import type { RegistrationOperation } from './registration-operation.ts';

/** A Register, Update or De-register relayed to the core and not answered yet. */
export interface PendingRegistration {
  readonly endpoint: string;
  /** The bearer the request came on. */
  readonly bearer: 'sms' | 'udp';
  readonly operation: RegistrationOperation;
  readonly payload: string;
  readonly createdAtMs: number;
  /** For a Register: the accepted registration it would replace, restored when the core refuses it. */
  readonly previous?: DeviceRecord;
}

/**
 * Contract: holds at most one request per endpoint and token; `add` replaces one with the same
 * key; iteration (`entries`) is live, so deletions made meanwhile are seen. No I/O.
 */
export class PendingRegistrations {
  private readonly byKey = new Map<string, PendingRegistration>();

  /** Holds `pending`, the request `message` carried for its endpoint. */
  add(message: CoapMessage, pending: PendingRegistration): void {
    this.byKey.set(pendingKey(pending.endpoint, message), pending);
  }

  /** The key of the request of `endpoint` that the core's `message` answers. */
  keyOf(endpoint: string, message: CoapMessage): string {
    return pendingKey(endpoint, message);
  }

  /** The request held under `key`, or undefined. */
  get(key: string): PendingRegistration | undefined {
    return this.byKey.get(key);
  }

  /** Drops the request held under `key` (no-op when none). */
  delete(key: string): void {
    this.byKey.delete(key);
  }

  /** Every held request with its key, as a live iterator over the map. */
  entries(): IterableIterator<[string, PendingRegistration]> {
    return this.byKey.entries();
  }

  /**
   * Drops every request of `endpoint` and returns the registration the first of them that names
   * one would have replaced (see {@link PendingRegistration.previous}), or undefined.
   */
  takeAll(endpoint: string): DeviceRecord | undefined {
    let previous: DeviceRecord | undefined;
    for (const [key, pending] of [...this.byKey]) {
      if (pending.endpoint !== endpoint) continue;
      this.byKey.delete(key);
      previous ??= pending.previous;
    }
    return previous;
  }

  /** Drops every request of `endpoint`. */
  forget(endpoint: string): void {
    for (const [key, pending] of this.byKey) if (pending.endpoint === endpoint) this.byKey.delete(key);
  }
}

/**
 * The token's length, its bytes one character each (RFC 7252 §3: 0–8 bytes), then the endpoint:
 * prefix-free, so two (endpoint, token) pairs never share a key; no hex text per message
 * (bench/device-scale: CPU per Register).
 */
function pendingKey(endpoint: string, message: CoapMessage): string {
  const token = message.token;
  let key = String.fromCharCode(token.length);
  for (let i = 0; i < token.length; i++) key += String.fromCharCode(token[i]!);
  return key + endpoint;
}
