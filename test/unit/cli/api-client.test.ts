import { describe, expect, it } from 'vitest';
import { apiTarget } from '../../../src/cli/api-client.ts';
import { GatewayError } from '../../../src/shared/errors.ts';

/** The error `apiTarget` throws for these options and environment. */
function errorOf(options: Parameters<typeof apiTarget>[0], env: Record<string, string | undefined>): GatewayError {
  try {
    apiTarget(options, env);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('apiTarget accepted the options');
}

describe('apiTarget (the admin API options of status, modems, devices, queues, send, wakeup)', () => {
  it('names a bad --timeout-sec even when no token is set (values are checked before the token)', () => {
    for (const bad of ['0', 'abc', '3601']) {
      const error = errorOf({ url: 'http://127.0.0.1:8683', timeoutSec: bad }, {});
      expect(error.code).toBe('GW_ERR_CONFIG');
      expect(error.details).toMatchObject({ option: '--timeout-sec' });
    }
  });

  it('names the token when every value is good but no token is given', () => {
    const error = errorOf({ url: 'http://127.0.0.1:8683', timeoutSec: '5' }, {});
    expect(error.code).toBe('GW_ERR_CONFIG');
    expect(error.details).toMatchObject({ option: '--token-file', env: 'SMSBRIDGE_TOKEN' });
    // No option was passed: the message does not start with one, it says where a token comes from.
    expect(error.message).toBe('no admin token given: set the SMSBRIDGE_TOKEN environment variable or pass --token-file <file>');
  });

  it('takes the token from SMSBRIDGE_TOKEN and the timeout in seconds', () => {
    expect(apiTarget({ url: 'http://127.0.0.1:8683/', timeoutSec: '5' }, { SMSBRIDGE_TOKEN: 'x'.repeat(32) })).toEqual({ url: 'http://127.0.0.1:8683', token: 'x'.repeat(32), timeoutMs: 5000 });
  });
});
