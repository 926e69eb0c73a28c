/**
 * The lab core's registrations: one per endpoint name, looked up by endpoint or by registration
 * id (the `<id>` of the Location-Path `rd/<id>`), each removed when its lifetime passes without an
 * Update (LwM2M 1.1 Core §6.2.1 "Register": the server removes the registration when the
 * lifetime expires).
 */
import { randomInt } from 'node:crypto';
import type { Lwm2mObjectLinks } from '../../lwm2m/index.ts';

/** One registered LwM2M client, as the lab core saw its last Register or Update. Immutable. */
export interface LabCoreClient {
  /** `ep`: Endpoint Client Name; unique among the registrations. */
  readonly endpoint: string;
  /** Source address of the last Register or Update; downlink requests go there. */
  readonly address: string;
  /** Source UDP port of the last Register or Update. */
  readonly port: number;
  /** The `<id>` of the Location-Path `rd/<id>` answered to the Register. */
  readonly registrationId: string;
  /** `/rd/<id>`: where the client sends Update and De-register. */
  readonly location: string;
  /** `lt` (default 86400, LwM2M 1.0 §5.3.1). */
  readonly lifetimeSec: number;
  /** `b` as sent (default `U`). */
  readonly binding: string;
  /** `Q` (1.1+) or a 1.0 binding with Q. */
  readonly queueMode: boolean;
  /** `sms`: the MSISDN without "+" (or a 1.1 External Identifier), or null. */
  readonly smsNumber: string | null;
  /** `lwm2m` (default "1.0"). */
  readonly lwm2mVersion: string;
  /** Objects and instances of the last link-format payload, and the alternate root path. */
  readonly objectLinks: Lwm2mObjectLinks;
  /** The last link-format payload as text. */
  readonly linkFormat: string;
  /** Query parameters the core does not interpret (`pid`, vendor parameters), by name. */
  readonly additionalParams: Readonly<Record<string, string | true>>;
  /** Time of the Register, epoch milliseconds. */
  readonly registeredAtMs: number;
  /** Time of the last Register or Update, epoch milliseconds. */
  readonly lastUpdateMs: number;
  /** `lastUpdateMs + lifetimeSec × 1000`: when the registration expires without an Update. */
  readonly expiresAtMs: number;
}

/** Largest delay `setTimeout` honours (2^31 − 1 ms, about 24.8 days); longer lifetimes re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
/** Length of a registration id: short, because the Location-Path travels in every Update SMS. */
export const REGISTRATION_ID_LENGTH = 5;

interface Entry {
  client: LabCoreClient;
  timer: NodeJS.Timeout;
}

/**
 * Registrations by endpoint, with their lifetime timers. The owner calls {@link clear} on
 * shutdown; until then each registration holds a timer.
 */
export class RegistrationTable {
  private readonly byEndpoint = new Map<string, Entry>();
  /** Registration id → endpoint. */
  private readonly endpointOfId = new Map<string, string>();

  /** `onExpired` runs after an expired registration was removed. */
  constructor(private readonly onExpired: (client: LabCoreClient) => void) {}

  /** A fresh registration id ({@link REGISTRATION_ID_LENGTH} characters 0-9a-z), unused in the table. */
  newRegistrationId(): string {
    for (;;) {
      let id = '';
      for (let i = 0; i < REGISTRATION_ID_LENGTH; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)] ?? '0';
      if (!this.endpointOfId.has(id)) return id;
    }
  }

  /** Every registration, in order of registration. */
  list(): LabCoreClient[] {
    return [...this.byEndpoint.values()].map((entry) => entry.client);
  }

  /** The registration of `endpoint`, or null. */
  byEndpointName(endpoint: string): LabCoreClient | null {
    return this.byEndpoint.get(endpoint)?.client ?? null;
  }

  /** The registration with id `registrationId`, or null. */
  byRegistrationId(registrationId: string): LabCoreClient | null {
    const endpoint = this.endpointOfId.get(registrationId);
    return endpoint === undefined ? null : this.byEndpointName(endpoint);
  }

  /**
   * Stores `client` (a Register or an Update) and restarts its lifetime timer. A registration
   * of the same endpoint with another id is removed first and returned (a new Register replaces
   * the old registration, as in Leshan); for an Update (same id) the previous state is returned.
   */
  put(client: LabCoreClient): LabCoreClient | null {
    const previous = this.byEndpoint.get(client.endpoint);
    if (previous !== undefined) {
      clearTimeout(previous.timer);
      this.endpointOfId.delete(previous.client.registrationId);
      this.byEndpoint.delete(client.endpoint); // a replacement goes to the end of the order
      if (previous.client.registrationId === client.registrationId) {
        this.byEndpoint.set(client.endpoint, { client, timer: this.arm(client) });
        this.endpointOfId.set(client.registrationId, client.endpoint);
        return previous.client;
      }
    }
    this.byEndpoint.set(client.endpoint, { client, timer: this.arm(client) });
    this.endpointOfId.set(client.registrationId, client.endpoint);
    return previous?.client ?? null;
  }

  /** Removes the registration with id `registrationId`; returns it, or null when there is none. */
  remove(registrationId: string): LabCoreClient | null {
    const client = this.byRegistrationId(registrationId);
    if (client === null) return null;
    const entry = this.byEndpoint.get(client.endpoint);
    if (entry !== undefined) clearTimeout(entry.timer);
    this.byEndpoint.delete(client.endpoint);
    this.endpointOfId.delete(registrationId);
    return client;
  }

  /** Removes every registration and its timer, without events. */
  clear(): void {
    for (const entry of this.byEndpoint.values()) clearTimeout(entry.timer);
    this.byEndpoint.clear();
    this.endpointOfId.clear();
  }

  private arm(client: LabCoreClient): NodeJS.Timeout {
    const delayMs = Math.max(0, Math.min(client.expiresAtMs - Date.now(), MAX_TIMER_MS));
    return setTimeout(() => {
      const entry = this.byEndpoint.get(client.endpoint);
      if (entry?.client !== client) return;
      if (Date.now() < client.expiresAtMs) {
        entry.timer = this.arm(client); // a lifetime longer than one timer can wait
        return;
      }
      this.remove(client.registrationId);
      this.onExpired(client);
    }, delayMs);
  }
}
