/**
 * The queue board's cookie (pure part): which Authorization value a Cookie header stands for.
 */
import { describe, expect, it } from 'vitest';
import { BOARD_COOKIE, boardAuthorization } from '../../../src/admin/queue-board.ts';

describe('queue board cookie', () => {
  it('finds the board cookie among others and decodes its token', () => {
    expect(boardAuthorization(`a=1; ${BOARD_COOKIE}=tok%3Bwith%3Dsigns-0123456789; b=2`)).toBe('Bearer tok;with=signs-0123456789');
    expect(boardAuthorization(`${BOARD_COOKIE}=plain-token-0123456789`)).toBe('Bearer plain-token-0123456789');
  });

  it('stands for no token without the cookie, or with a value it did not encode', () => {
    expect(boardAuthorization(undefined)).toBeUndefined();
    expect(boardAuthorization('other=1; smsbridge-boardx=abc')).toBeUndefined();
    expect(boardAuthorization(`${BOARD_COOKIE}=%E0%A4%A`)).toBeUndefined();
  });
});
