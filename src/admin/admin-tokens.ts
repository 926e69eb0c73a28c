/**
 * Bearer tokens of the admin API (RFC 6750 §2.1: `Authorization: Bearer <token>`): one
 * read-write token and optionally one read-only token. A presented token is compared with each
 * configured one in constant time: both sides are hashed to SHA-256 digests of equal length
 * and compared with `crypto.timingSafeEqual`, and both configured tokens are always compared,
 * so the time taken says nothing about which one (or how much of one) matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** What a request may do. */
export type AdminAccess = 'read' | 'write';

/** The tokens as configured (secrets: never log them). */
export interface AdminTokenConfig {
  readonly readWrite: string;
  /** Null: no read-only token. */
  readonly readOnly: string | null;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Checks presented tokens; holds only the digests of the configured ones. */
export class AdminTokens {
  private readonly readWrite: Buffer;
  private readonly readOnly: Buffer | null;

  constructor(config: AdminTokenConfig) {
    this.readWrite = digest(config.readWrite);
    this.readOnly = config.readOnly === null ? null : digest(config.readOnly);
  }

  /**
   * The access an `Authorization` header value grants: `write` for the read-write token, `read`
   * for the read-only one, null for anything else (missing, not `Bearer`, unknown token).
   */
  accessOf(authorization: string | undefined): AdminAccess | null {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
    if (match === null) return null;
    const presented = digest(match[1]!);
    const isReadWrite = timingSafeEqual(presented, this.readWrite);
    const isReadOnly = this.readOnly !== null && timingSafeEqual(presented, this.readOnly);
    return isReadWrite ? 'write' : isReadOnly ? 'read' : null;
  }
}
