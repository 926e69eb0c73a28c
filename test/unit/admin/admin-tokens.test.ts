/**
 * Bearer token checks of the admin API (pure): which header values grant which access.
 */
import { describe, expect, it } from 'vitest';
import { AdminTokens } from '../../../src/admin/admin-tokens.ts';

const RW = 'read-write-token-0123456789';
const RO = 'read-only-token-0123456789';

describe('AdminTokens', () => {
  it('grants write to the read-write token and read to the read-only one', () => {
    const tokens = new AdminTokens({ readWrite: RW, readOnly: RO });
    expect(tokens.accessOf(`Bearer ${RW}`)).toBe('write');
    expect(tokens.accessOf(`bearer ${RO}`)).toBe('read');
  });

  it('grants nothing to a missing, malformed, other-scheme, prefix or extended token', () => {
    const tokens = new AdminTokens({ readWrite: RW, readOnly: null });
    for (const header of [undefined, '', 'Bearer', 'Bearer ', RW, `Basic ${RW}`, `Bearer ${RW.slice(0, -1)}`, `Bearer ${RW}0`, `Bearer ${RO}`, `Bearer ${RW} ${RW}`]) {
      expect({ header, access: tokens.accessOf(header) }).toEqual({ header, access: null });
    }
  });
});
