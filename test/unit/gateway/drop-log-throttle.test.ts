/**
 * Flood-limit drops in the log: the first drop of a source gets its line, the rest one summary
 * line per source per interval ("dropped N … from X"); the counters are not touched. The logging
 * is driven by typed emitters standing in for the relay and the inbox consumer (pure unit: the
 * flood itself is proven end to end in test/integration/relay/flood-limits.test.ts). Before: one
 * warn line per dropped message (a flood of 500 SMS wrote 500 lines).
 */
import { describe, expect, it } from 'vitest';
import type { InboxRelayEvents } from '../../../src/bridge/inbox-relay.ts';
import type { RelayEvents } from '../../../src/bridge/relay-types.ts';
import { DropLogThrottle } from '../../../src/gateway/drop-log-throttle.ts';
import { GatewayLogging, type GatewayEventSources } from '../../../src/gateway/gateway-logging.ts';
import { TypedEmitter, type EventMap } from '../../../src/shared/typed-emitter.ts';
import { captureLog } from '../../support/log-capture.ts';

/** An emitter whose `emit` the test may call (the parts' own are protected). */
class Source<Events extends EventMap> extends TypedEmitter<Events> {
  override emit<E extends keyof Events & string>(event: E, ...args: Events[E]): void {
    super.emit(event, ...args);
  }
}

function sources(): { relay: Source<RelayEvents>; inbox: Source<InboxRelayEvents>; all: GatewayEventSources } {
  const relay = new Source<RelayEvents>();
  const inbox = new Source<InboxRelayEvents>();
  const all = { relay, inbox, mirror: new TypedEmitter(), sockets: new TypedEmitter(), modems: [] } as unknown as GatewayEventSources;
  return { relay, inbox, all };
}

describe('flood-limit drops in the log', () => {
  it('logs the first drop per source, then one summary line per source per interval: "dropped N … from X"', () => {
    const log = captureLog();
    const { relay, inbox, all } = sources();
    const logging = new GatewayLogging(all, log.logger, { dropSummaryIntervalMs: 0 });
    for (let i = 0; i < 500; i++) inbox.emit('rate-limited', '+491709200001');
    for (let i = 0; i < 40; i++) inbox.emit('rate-limited', '+491709200002');
    for (let i = 0; i < 300; i++) relay.emit('dropped', { reason: 'rate-limited', endpoint: null, source: '127.0.0.2', detail: 'UDP source 127.0.0.2 exceeds 100 datagrams/s' });
    for (let i = 0; i < 70; i++) relay.emit('dropped', { reason: 'registration-refused', endpoint: `n-${i}`, source: '127.0.0.3', detail: '127.0.0.3 holds 64 registrations (most 64)' });
    relay.emit('dropped', { reason: 'malformed-from-device', endpoint: null, detail: 'bad CoAP' }); // other reasons: one line each, as before
    relay.emit('dropped', { reason: 'malformed-from-device', endpoint: null, detail: 'bad CoAP' });

    expect(log.matching('dropped: SMS of a number over its flood limit').map((r) => r.originator)).toEqual(['+491709200001', '+491709200002']);
    expect(log.matching('dropped: rate-limited')).toHaveLength(1);
    expect(log.matching('dropped: registration-refused')).toHaveLength(1);
    expect(log.matching('dropped: malformed-from-device')).toHaveLength(2);

    logging.summarizeDrops(); // the end of an interval
    expect(log.matching('(flood limit)').map((r) => r.msg)).toEqual([
      'dropped 499 SMS from +491709200001 (flood limit)',
      'dropped 39 SMS from +491709200002 (flood limit)',
      'dropped 299 UDP datagrams from 127.0.0.2 (flood limit)',
    ]);
    expect(log.matching('(refused by the admission policy)').map((r) => r.msg)).toEqual(['dropped 69 Registers/Updates from 127.0.0.3 (refused by the admission policy)']);

    inbox.emit('rate-limited', '+491709200001'); // the flood goes on: no new first line
    logging.summarizeDrops();
    expect(log.matching('dropped: SMS of a number over its flood limit')).toHaveLength(2);
    expect(log.matching('dropped 1 SMS from +491709200001')).toHaveLength(1);

    logging.summarizeDrops(); // a whole interval without a drop: the episode ends
    logging.summarizeDrops();
    inbox.emit('rate-limited', '+491709200001'); // a new flood is announced again
    expect(log.matching('dropped: SMS of a number over its flood limit')).toHaveLength(3);
    logging.detach();
    expect(log.matching('(flood limit)')).toHaveLength(4); // nothing new to summarise
    expect(log.matching('(refused by the admission policy)')).toHaveLength(1);
  });

  it('sums the drops of sources beyond its bound under "*", without a line each (spoofed sources)', () => {
    const throttle = new DropLogThrottle({ maxSources: 3 });
    const firsts = Array.from({ length: 10 }, (_, i) => throttle.record('udp', `10.0.0.${i}`)).filter(Boolean);
    expect(firsts).toHaveLength(3);
    expect(throttle.summarize()).toEqual([{ kind: 'udp', source: '*', dropped: 7 }]);
    expect(throttle.trackedSources).toBe(3);
    throttle.summarize();
    expect(throttle.trackedSources).toBe(0); // forgotten after a quiet interval
  });
});
