/**
 * The demo's counting and drawing, pure: a request tally keeps sent = answered + failed +
 * pending with a reason per failure, and the live table redraws in place only on a terminal.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayStatus } from '../../../src/gateway/gateway.ts';
import type { Lab } from '../../../src/lab/lab.ts';
import { LiveTable, RequestTally } from '../../../src/cli/demo-report.ts';
import { LabCoreRequestError } from '../../../src/sim/core/index.ts';

const response = (code: string) => ({ code, contentFormat: null, payload: new Uint8Array(0) });
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function status(registered: number): GatewayStatus {
  return {
    modems: [{ name: 'modem-1', state: 'ready', signalDbm: -73, counters: { sent: 1, received: 2 } }] as unknown as GatewayStatus['modems'],
    devices: Array.from({ length: registered }, (_, i) => ({ endpoint: `d${i}`, registered: true, lastActivityMs: 0, lastBearer: 'sms', corePort: 40_000 + i })) as unknown as GatewayStatus['devices'],
    relay: { toCore: 0, downlinkSms: 0, downlinkUdp: 0, coreRetransmissionsAbsorbed: 0 } as GatewayStatus['relay'],
    sms: {} as GatewayStatus['sms'],
    smsSpend: {} as GatewayStatus['smsSpend'],
    heldRequests: 0,
    unknownSenders: 0,
    type0Discarded: 0,
    redis: { commands: 'ready', consumer: 'ready' },
    coreSockets: { open: registered, waiting: 0, bound: registered, bindFailures: 0, fileLimitFailures: 0, moved: 0 },
  };
}

describe('RequestTally', () => {
  it('counts answers, failures by reason and requests still waiting, which add up to the requests sent', async () => {
    const tally = new RequestTally('triggers of /1/0/8');
    tally.track(Promise.resolve(response('2.04')));
    tally.track(Promise.resolve(response('4.04')));
    tally.track(Promise.reject(new LabCoreRequestError('timeout', 'no response')));
    tally.track(Promise.reject(new LabCoreRequestError('timeout', 'no response')));
    tally.track(new Promise(() => undefined));
    await settle();
    expect(tally.toJSON()).toEqual({ sent: 5, answered: 1, failed: 3, pending: 1, failureReasons: { 'response 4.04': 1, GW_ERR_CORE_TIMEOUT: 2 } });
    expect(tally.describe()).toBe('1 of 5 answered, 3 failed (1× response 4.04, 2× GW_ERR_CORE_TIMEOUT), 1 still waiting');
  });
});

describe('LiveTable', () => {
  const lab = { modems: [{ msisdn: '+491720000001' }], devices: [] } as unknown as Lab;
  const tallies = { reads: new RequestTally('reads of /3/0'), triggers: new RequestTally('triggers of /1/0/8') };

  it('off a terminal: one time-stamped line, and only when something changed', () => {
    const out: string[] = [];
    const table = new LiveTable((line) => out.push(line), false);
    table.draw(lab, status(1), tallies, 0, Date.UTC(2026, 11, 6, 19, 0, 0));
    table.draw(lab, status(1), tallies, 0, Date.UTC(2026, 11, 6, 19, 0, 2));
    table.draw(lab, status(2), tallies, 0, Date.UTC(2026, 11, 6, 19, 0, 4));
    expect(out).toEqual([
      '19:00:00 modem-1 ready; 1 devices registered; reads 0/0, triggers 0/0; SMS 1 sent, 2 received',
      '19:00:04 modem-1 ready; 2 devices registered; reads 0/0, triggers 0/0; SMS 1 sent, 2 received',
    ]);
  });

  it('on a terminal: the whole table with the time, then each redraw moves up over the previous one', () => {
    const out: string[] = [];
    const table = new LiveTable((line) => out.push(line), true);
    table.draw(lab, status(0), tallies, Date.UTC(2026, 11, 6, 19, 0, 0), Date.UTC(2026, 11, 6, 19, 0, 5));
    table.draw(lab, status(0), tallies, Date.UTC(2026, 11, 6, 19, 0, 0), Date.UTC(2026, 11, 6, 19, 0, 7));
    const firstLines = out[0]!.split('\n');
    expect(firstLines[0]).toContain('19:00:05 UTC  running 0:05');
    expect(out[0]).not.toContain('\x1b[');
    expect(out[1]!.startsWith(`\x1b[${firstLines.length}A\x1b[J`)).toBe(true);
    expect(out[1]).toContain('19:00:07 UTC');
  });
});
