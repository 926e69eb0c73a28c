/**
 * The trigger bookkeeping on a real (private) Redis: status reports filed by message id, and
 * the device's answer to its trigger recognised by Message ID or token, once.
 */
import { describe, expect, it } from 'vitest';
import { coapAck, CoapCode, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { TriggerLedger } from '../../../src/queue/trigger-ledger.ts';
import { usePrivateRedis } from '../../support/test-scope.ts';

const { redis } = usePrivateRedis();

const TOKEN = Uint8Array.from([1, 2, 3, 4]);
const response = (type: CoapMessage['type'], messageId: number, token: Uint8Array, code: number = CoapCode.CHANGED): CoapMessage => ({
  version: 1, type, code, messageId, token, options: [], payload: new Uint8Array(0),
});

describe('TriggerLedger', () => {
  it('files each part\'s report with its trigger; reports for other SMS find nothing', async () => {
    const ledger = new TriggerLedger(redis(), 't:');
    await ledger.sent({ endpoint: 'dev', run: 100, trigger: 1 }, 'msg-1', 2, 1000, 60_000);
    await ledger.sent({ endpoint: 'dev', run: 100, trigger: 2 }, 'msg-2', 1, 2000, 60_000);
    expect(await ledger.report('msg-1', 2, 0x00)).toEqual({ endpoint: 'dev', run: 100, trigger: 1 });
    expect(await ledger.report('msg-2', 1, 0x41)).toEqual({ endpoint: 'dev', run: 100, trigger: 2 });
    expect(await ledger.report('other', 1, 0x00)).toBeNull();
    expect(await ledger.triggers('dev', 100)).toEqual([
      { trigger: 1, messageId: 'msg-1', parts: 2, sentAtMs: 1000, statuses: new Map([[2, 0x00]]) },
      { trigger: 2, messageId: 'msg-2', parts: 1, sentAtMs: 2000, statuses: new Map([[1, 0x41]]) },
    ]);
    expect(await ledger.triggers('dev', 999)).toEqual([]); // another run of the same device
  });

  it('forgets a run: a late report finds nothing and leaves no key without an expiry', async () => {
    const ledger = new TriggerLedger(redis(), 't:');
    await ledger.sent({ endpoint: 'dev', run: 1, trigger: 1 }, 'msg-1', 1, 1000, 60_000);
    await ledger.forget('dev', 1, ['msg-1']);
    expect(await ledger.report('msg-1', 1, 0x00)).toBeNull();
    expect(await redis().keys('*')).toEqual([]);
  });

  it('recognises the ACK by Message ID, once', async () => {
    const ledger = new TriggerLedger(redis(), 't:');
    await ledger.expectAnswer('dev', 0x1234, TOKEN, 60_000);
    expect(await ledger.takeAnswer('dev', coapAck(0x1235))).toBe(false); // another Message ID
    expect(await ledger.takeAnswer('other', coapAck(0x1234))).toBe(false); // another device
    expect(await ledger.takeAnswer('dev', response('ACK', 0x1234, TOKEN))).toBe(true);
    expect(await ledger.takeAnswer('dev', response('ACK', 0x1234, TOKEN))).toBe(false); // a copy is not consumed twice
  });

  it('recognises a NON response by token, and never a request', async () => {
    const ledger = new TriggerLedger(redis(), 't:');
    await ledger.expectAnswer('dev', 7, TOKEN, 60_000);
    expect(await ledger.takeAnswer('dev', response('NON', 99, TOKEN, CoapCode.POST))).toBe(false); // a request with the same token
    expect(await ledger.takeAnswer('dev', response('NON', 99, Uint8Array.from([9])))).toBe(false);
    expect(await ledger.takeAnswer('dev', response('NON', 99, TOKEN))).toBe(true);
  });

  it('forgets the expectation after its time', async () => {
    const ledger = new TriggerLedger(redis(), 't:');
    await ledger.expectAnswer('dev', 7, TOKEN, 1);
    await expect.poll(() => redis().exists('t:wakeup:answer:dev')).toBe(0);
    expect(await ledger.takeAnswer('dev', coapAck(7))).toBe(false);
  });
});
