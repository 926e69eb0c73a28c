/**
 * The admin API's body check (src/admin/admin-body.ts, the function the server's JSON parser and
 * validator run): for random and mutated bodies of every write route it returns a value the
 * route's schema accepts or throws GW_ERR_ADMIN_REQUEST with a reason, and nothing else. The same
 * generators as `npm run bench:fuzz` (targets admin-*), a smaller seeded run.
 */
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { FUZZ_TARGETS } from '../../../bench/fuzz/fuzz-targets.ts';
import { ADMIN_BODY_RULES, bodyRuleOf, parseAdminBody, type AdminBodyReason } from '../../../src/admin/admin-body.ts';
import { AtTraceRequest, SendRequest } from '../../../src/admin/admin-schemas.ts';
import { WakeupRequest } from '../../../src/admin/queue-schemas.ts';
import { GatewayError } from '../../../src/shared/errors.ts';
import { seededRandom } from '../../support/seeded-random.ts';

const INPUTS = 20_000;
/** A safety net only: each loop takes about a second; a loaded machine may take longer. */
const TIMEOUT_MS = 120_000;
const RULE_OF: Record<string, keyof typeof ADMIN_BODY_RULES> = { 'admin-sms-body': 'sms', 'admin-wakeup-body': 'wakeup', 'admin-at-trace-body': 'atTrace' };

/** Throws what `parse` threw when it is not a typed admin request error; else its reason. */
function reasonOf(parse: () => unknown): AdminBodyReason | 'value' {
  try {
    parse();
    return 'value';
  } catch (error) {
    if (!(error instanceof GatewayError) || error.code !== 'GW_ERR_ADMIN_REQUEST') throw error;
    const reason = error.details['reason'];
    if (reason !== 'too-large' && reason !== 'json-syntax' && reason !== 'schema') throw new Error(`no reason in ${JSON.stringify(error.toJSON())}`);
    return reason;
  }
}

describe('admin API bodies under fuzz', () => {
  it('the write routes declare the schemas the body rules check (one implementation)', () => {
    expect(bodyRuleOf(SendRequest)).toBe(ADMIN_BODY_RULES.sms);
    expect(bodyRuleOf(WakeupRequest)).toBe(ADMIN_BODY_RULES.wakeup);
    expect(bodyRuleOf(AtTraceRequest)).toBe(ADMIN_BODY_RULES.atTrace);
  });

  it('names the reason: too large, not JSON, not the route\'s shape', () => {
    const sms = (text: string, limitBytes = 1024) => reasonOf(() => parseAdminBody(ADMIN_BODY_RULES.sms, text, limitBytes));
    expect(sms('{"to":"+491701234567","text":"hi"}')).toBe('value');
    expect(sms('{"to":"+491701234567","text":"€€€€"}', 30)).toBe('too-large'); // 42 UTF-8 bytes, 34 characters
    expect(sms('{"to":"+4917')).toBe('json-syntax');
    expect(sms('')).toBe('json-syntax');
    expect(sms('{"__proto__":{"x":1},"to":"+491701234567","text":"hi"}')).toBe('json-syntax');
    expect(sms('['.repeat(600) + ']'.repeat(600), 2000)).toBe('schema');
    expect(sms('{"to":"+491701234567"}')).toBe('schema'); // neither text nor dataHex
    expect(sms('{"to":"+491701234567","text":"a","dataHex":"00"}')).toBe('schema');
    expect(() => parseAdminBody(ADMIN_BODY_RULES.atTrace, '{"on":"yes"}', 100)).toThrow(/^body\/on Expected boolean/);
  });

  for (const target of FUZZ_TARGETS.filter((t) => t.name.startsWith('admin-'))) {
    it(`${target.name}: ${INPUTS} random and mutated bodies give a valid value or a typed error with a reason`, () => {
      const rule = ADMIN_BODY_RULES[RULE_OF[target.name]!];
      const random = seededRandom(9);
      const seen: Record<string, number> = {};
      for (let n = 0; n < INPUTS; n++) {
        const input = target.input(random);
        let value: unknown;
        const reason = reasonOf(() => (value = target.parse(input)));
        seen[reason] = (seen[reason] ?? 0) + 1;
        if (reason === 'value') expect(Value.Check(rule.schema, value), target.show(input)).toBe(true);
      }
      // Every outcome is reached, so the generators test each branch of the check.
      expect(Object.keys(seen).sort()).toEqual(['json-syntax', 'schema', 'too-large', 'value']);
    }, TIMEOUT_MS);
  }
});
