/**
 * The registration requests the core has not answered yet, held by the registration mirror until
 * the core's response applies them (or they time out). Found by endpoint and CoAP token (RFC 7252
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

/** A held request and the token of the message that carried it. */
interface Held {
  readonly token: Uint8Array;
  readonly pending: PendingRegistration;
}

/**
 * Requests held per endpoint at most; the oldest goes first. A client has one request in flight
 * to a server (RFC 7252 §4.7, NSTART = 1), so this is only ever reached by a device that floods:
 * it bounds that device's memory and keeps every lookup short.
 */
export const MAX_PENDING_PER_ENDPOINT = 8;

/**
 * Contract: holds at most one request per endpoint and token, and at most
 * {@link MAX_PENDING_PER_ENDPOINT} per endpoint (the oldest is dropped, but the one naming the
 * registration to restore, `previous`, stays); `add` replaces one with the same token and keeps
 * the `previous` of the one it replaces (a retransmitted re-Register names none: the first copy
 * saw the registration, the second the held Register). Found by endpoint, then token: no key text
 * is built per message, and forgetting an endpoint touches only its own requests
 * (bench/device-scale: CPU per Register). No I/O.
 */
export class PendingRegistrations {
  /** By endpoint, its requests in the order they came (rarely more than one). */
  private readonly byEndpoint = new Map<string, Held[]>();

  /** Holds `pending`, the request `message` carried for its endpoint. */
  add(message: CoapMessage, pending: PendingRegistration): void {
    const held = this.byEndpoint.get(pending.endpoint);
    const entry = { token: message.token, pending };
    if (held === undefined) {
      this.byEndpoint.set(pending.endpoint, [entry]);
      return;
    }
    const index = held.findIndex((other) => sameBytes(other.token, message.token));
    const replaced = held[index]?.pending.previous;
    if (index >= 0) held[index] = replaced !== undefined && pending.previous === undefined ? { token: message.token, pending: { ...pending, previous: replaced } } : entry;
    else if (held.push(entry) > MAX_PENDING_PER_ENDPOINT) {
      const restorer = held.findIndex((other) => other.pending.previous !== undefined);
      held.splice(restorer === 0 ? 1 : 0, 1); // the oldest, unless it is the one that restores
    }
  }

  /** The request of `endpoint` that the core's `message` answers (the same token), or undefined. */
  find(endpoint: string, message: CoapMessage): PendingRegistration | undefined {
    const held = this.byEndpoint.get(endpoint);
    if (held === undefined) return undefined;
    for (const entry of held) if (sameBytes(entry.token, message.token)) return entry.pending;
    return undefined;
  }

  /** Drops `pending` (no-op when it is not held any more). */
  remove(pending: PendingRegistration): void {
    const held = this.byEndpoint.get(pending.endpoint);
    const index = held?.findIndex((entry) => entry.pending === pending) ?? -1;
    if (held === undefined || index < 0) return;
    if (held.length === 1) this.byEndpoint.delete(pending.endpoint);
    else held.splice(index, 1);
  }

  /** True while `pending` is held. */
  holds(pending: PendingRegistration): boolean {
    return this.byEndpoint.get(pending.endpoint)?.some((entry) => entry.pending === pending) ?? false;
  }

  /** Every request held now (a copy: requests may be removed while it is walked). */
  list(): PendingRegistration[] {
    const all: PendingRegistration[] = [];
    for (const held of this.byEndpoint.values()) for (const entry of held) all.push(entry.pending);
    return all;
  }

  /**
   * Drops every request of `endpoint` and returns the registration the first of them that names
   * one would have replaced (see {@link PendingRegistration.previous}), or undefined.
   */
  takeAll(endpoint: string): DeviceRecord | undefined {
    const held = this.byEndpoint.get(endpoint);
    this.byEndpoint.delete(endpoint);
    return held?.find((entry) => entry.pending.previous !== undefined)?.pending.previous;
  }

  /** Drops every request of `endpoint`. */
  forget(endpoint: string): void {
    this.byEndpoint.delete(endpoint);
  }
}

/** True when `a` and `b` hold the same bytes (tokens: RFC 7252 §5.3.1, compared whole). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
