/**
 * Who may use the gateway over SMS: an allowlist of numbers and prefixes, or open. An SMS from a
 * number outside it is never relayed (LwM2M Transport §SMS Channel Security: a client ignores
 * SMS from numbers it does not know; the gateway does the same for the core).
 */

/** The policy as configured. */
export type SenderPolicyConfig =
  | { readonly mode: 'open' }
  /** Entries are full numbers or prefixes, with or without `+`; a trailing `*` is allowed. */
  | { readonly mode: 'allowlist'; readonly entries: readonly string[] };

/** Decides whether an MSISDN may use the gateway. Pure. */
export class SenderPolicy {
  private readonly prefixes: readonly string[] | null;

  constructor(config: SenderPolicyConfig) {
    this.prefixes = config.mode === 'open' ? null : config.entries.map((e) => e.replace(/\*$/, '').replace(/\D/g, '')).filter((e) => e.length > 0);
  }

  /** True when `msisdn` (any format; digits are compared) may use the gateway. */
  allows(msisdn: string): boolean {
    if (this.prefixes === null) return true;
    const digits = msisdn.replace(/\D/g, '');
    return this.prefixes.some((prefix) => digits.startsWith(prefix));
  }
}
