/**
 * The contract between the registration mirror and whoever decides which requests may create or
 * move a registration (the bridge's `AdmissionPolicy`). The mirror asks before it stores
 * anything; a refusal becomes a {@link RegistrationRefusedError}.
 */
import { GatewayError } from '../shared/errors.ts';

/** What the decision needs to know about a Register, or an Update from a new address. */
export interface AdmissionRequest {
  readonly kind: 'register' | 'update';
  readonly endpoint: string;
  /** Where the request came from. */
  readonly source: { readonly bearer: 'sms'; readonly msisdn: string } | { readonly bearer: 'udp'; readonly host: string; readonly port: number };
  /** The endpoint's current registration, if any: its UDP address (null when it has none) and MSISDN. */
  readonly existing: { readonly udpHost: string | null; readonly udpPort: number | null; readonly msisdn: string | null } | null;
  /** Registrations whose UDP address is on the source host now. */
  readonly registrationsFromHost: number;
  /** Registrations the gateway holds now (all bearers, pending ones included). */
  readonly registrations: number;
}

/** Why a request was refused. `limit-*` are temporary (answered 5.03), the rest permanent (4.03). */
export type AdmissionRefusal =
  | 'network' | 'endpoint-pattern' | 'other-bearer' | 'address-change' | 'msisdn-change' | 'limit-per-source' | 'limit-total';

/** The verdict on an {@link AdmissionRequest}. */
export type AdmissionDecision =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly reason: AdmissionRefusal; readonly detail: string };

/** Decides on registration requests. Must be synchronous and pure (no I/O). */
export interface RegistrationAdmission {
  decide(request: AdmissionRequest): AdmissionDecision;
}

/** Admits everything (the mirror's default when no policy is given). */
export const ADMIT_ALL: RegistrationAdmission = Object.freeze({ decide: () => ({ admitted: true }) as const });

/** A registration request the admission refused; nothing was stored. */
export class RegistrationRefusedError extends GatewayError {
  constructor(readonly endpoint: string, readonly reason: AdmissionRefusal, detail: string) {
    super('GW_ERR_REGISTRATION_REFUSED', `registration of ${JSON.stringify(endpoint.slice(0, 64))} refused (${reason}): ${detail}`, { endpoint, reason });
  }

  /** True for a refusal that may pass later (a limit), false for one that will not. */
  get temporary(): boolean {
    return this.reason === 'limit-per-source' || this.reason === 'limit-total';
  }
}
