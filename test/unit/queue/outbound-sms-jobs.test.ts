/**
 * The pure parts of the outbound SMS jobs: the fixed priorities, the time-to-live per kind, and a
 * failure's round trip through a job's failedReason (what a caller in another process gets).
 */
import { describe, expect, it } from 'vitest';
import { errorOfReason, failureReason, OUTBOUND_SMS_PRIORITY, STALLED_REASON } from '../../../src/queue/outbound-sms-jobs.ts';
import { OUTBOUND_SMS_DEFAULTS, ttlMsOf } from '../../../src/queue/outbound-sms-settings.ts';
import { GatewayError } from '../../../src/shared/errors.ts';
import { DEFAULT_HELD_REQUEST_TTL_MS } from '../../../src/bridge/held-requests.ts';
import { EXCHANGE_LIFETIME_SEC } from '../../../src/lwm2m/coap-parameters.ts';

describe('outbound SMS jobs', () => {
  it('takes relay messages first, then triggers, then bulk (BullMQ: 1 is taken first)', () => {
    expect(OUTBOUND_SMS_PRIORITY.relay).toBeLessThan(OUTBOUND_SMS_PRIORITY.trigger);
    expect(OUTBOUND_SMS_PRIORITY.trigger).toBeLessThan(OUTBOUND_SMS_PRIORITY.bulk);
    expect(OUTBOUND_SMS_PRIORITY.relay).toBeGreaterThanOrEqual(1);
  });

  it('gives each kind its own time-to-live; a relay message lives no longer than a held request, inside the CoAP exchange lifetime', () => {
    expect(ttlMsOf(OUTBOUND_SMS_DEFAULTS, 'relay')).toBe(DEFAULT_HELD_REQUEST_TTL_MS);
    expect(ttlMsOf(OUTBOUND_SMS_DEFAULTS, 'relay')).toBeLessThan(EXCHANGE_LIFETIME_SEC * 1000);
    expect(ttlMsOf({ ...OUTBOUND_SMS_DEFAULTS, triggerTtlMs: 5 }, 'trigger')).toBe(5);
    expect(ttlMsOf({ ...OUTBOUND_SMS_DEFAULTS, bulkTtlMs: 7 }, 'bulk')).toBe(7);
    expect(OUTBOUND_SMS_DEFAULTS.resendUnknown).toBe(false);
  });

  it('carries a typed error through the failedReason text', () => {
    const error = errorOfReason(failureReason(new GatewayError('GW_ERR_POOL_NO_MODEM', 'no modem of group "de" can send to +49 now')));
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'GW_ERR_POOL_NO_MODEM', message: 'no modem of group "de" can send to +49 now' });
  });

  it('reads a stalled job (its process died while sending) as an unknown outcome, and any other text as a failure', () => {
    expect(errorOfReason(STALLED_REASON).code).toBe('GW_ERR_MODEM_SEND_UNKNOWN');
    expect(errorOfReason('connection lost')).toMatchObject({ code: 'GW_ERR_MODEM_SEND_FAILED', message: 'connection lost' });
    expect(errorOfReason('GW_ERR_NOT_A_CODE x').code).toBe('GW_ERR_MODEM_SEND_FAILED');
  });
});
