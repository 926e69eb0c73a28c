import { describe, expect, it } from 'vitest';
import {
  ACK_RANDOM_FACTOR, ACK_TIMEOUT_SEC, CoapCode, CoapExchangeStore, DEFAULT_CONFIRMABLE_PARAMETERS, EXCHANGE_LIFETIME_SEC, MAX_RETRANSMIT,
  MAX_TRANSMIT_SPAN_SEC, MAX_TRANSMIT_WAIT_SEC, MessageDeduplicator, coapAck, coapRequest, coapReset, coapResponse, coapSeparateResponse,
  initialAckTimeoutMs, retransmissionWaitsMs, transmitConfirmable,
} from '../../../src/lwm2m/index.ts';
import { FakeCoapClock } from '../../support/fake-coap-clock.ts';
import { seededRandom } from '../../support/seeded-random.ts';

const PARAMS = DEFAULT_CONFIRMABLE_PARAMETERS;

describe('RFC 7252 §4.2 retransmission schedule (pure)', () => {
  it('the initial timeout stays in [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR) for any random draw', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 10_000; i += 1) {
      const ms = initialAckTimeoutMs(PARAMS, random());
      expect(ms).toBeGreaterThanOrEqual(ACK_TIMEOUT_SEC * 1000);
      expect(ms).toBeLessThan(ACK_TIMEOUT_SEC * 1000 * ACK_RANDOM_FACTOR);
    }
    expect(initialAckTimeoutMs(PARAMS, 0)).toBe(2000);
    expect(initialAckTimeoutMs(PARAMS, 0.5)).toBe(2500);
  });

  it('doubles each wait; the worst case spans MAX_TRANSMIT_SPAN and gives up at MAX_TRANSMIT_WAIT (§4.8.2)', () => {
    const worst = retransmissionWaitsMs(PARAMS.ackTimeoutMs * PARAMS.ackRandomFactor, MAX_RETRANSMIT);
    expect(worst).toEqual([3000, 6000, 12000, 24000, 48000]);
    expect(worst.slice(0, -1).reduce((a, b) => a + b, 0)).toBe(MAX_TRANSMIT_SPAN_SEC * 1000);
    expect(worst.reduce((a, b) => a + b, 0)).toBe(MAX_TRANSMIT_WAIT_SEC * 1000);
  });
});

describe('transmitConfirmable on a fake clock', () => {
  it('sends at 0 and after each doubled wait, then gives up once after MAX_RETRANSMIT', () => {
    const clock = new FakeCoapClock();
    const sentAtMs: number[] = [];
    const gaveUp: number[] = [];
    transmitConfirmable({ clock, send: () => sentAtMs.push(clock.nowMs()), random: () => 0.5, onGiveUp: (n) => gaveUp.push(n) });
    clock.advance(200_000);
    // initial 2500 ms: sends at 0, 2.5, 7.5, 17.5, 37.5 s; gives up at 77.5 s
    expect(sentAtMs).toEqual([0, 2500, 7500, 17500, 37500]);
    expect(gaveUp).toEqual([MAX_RETRANSMIT]);
    expect(clock.pending).toBe(0);
  });

  it('for any random draw, retransmission k leaves between ACK_TIMEOUT × (2^k − 1) and that × ACK_RANDOM_FACTOR', () => {
    const random = seededRandom(11);
    for (let run = 0; run < 200; run += 1) {
      const clock = new FakeCoapClock();
      const sentAtMs: number[] = [];
      let gaveUpAtMs = -1;
      transmitConfirmable({ clock, random, send: () => sentAtMs.push(clock.nowMs()), onGiveUp: () => { gaveUpAtMs = clock.nowMs(); } });
      clock.advance(MAX_TRANSMIT_WAIT_SEC * 1000);
      expect(sentAtMs.length).toBe(MAX_RETRANSMIT + 1);
      sentAtMs.forEach((atMs, k) => {
        const lowMs = ACK_TIMEOUT_SEC * 1000 * (2 ** k - 1);
        expect(atMs).toBeGreaterThanOrEqual(lowMs);
        expect(atMs).toBeLessThanOrEqual(lowMs * ACK_RANDOM_FACTOR);
      });
      expect(sentAtMs.at(-1)).toBeLessThanOrEqual(MAX_TRANSMIT_SPAN_SEC * 1000);
      expect(gaveUpAtMs).toBeGreaterThan(0);
      expect(gaveUpAtMs).toBeLessThanOrEqual(MAX_TRANSMIT_WAIT_SEC * 1000);
      expect(clock.pending).toBe(0);
    }
  });

  it('stop (the ACK or RST arrived) ends the sends and the give-up, and leaves no timer', () => {
    const clock = new FakeCoapClock();
    let sends = 0;
    let gaveUp = false;
    const t = transmitConfirmable({ clock, send: () => { sends += 1; }, random: () => 0, onGiveUp: () => { gaveUp = true; } });
    clock.advance(2000); // first retransmission
    expect(sends).toBe(2);
    expect(t.retransmissions).toBe(1);
    t.stop();
    expect(t.active).toBe(false);
    expect(clock.pending).toBe(0);
    clock.advance(200_000);
    expect(sends).toBe(2);
    expect(gaveUp).toBe(false);
  });

  it('stop from inside send does not schedule another retransmission', () => {
    const clock = new FakeCoapClock();
    let sends = 0;
    const holder: { t?: ReturnType<typeof transmitConfirmable> } = {};
    holder.t = transmitConfirmable({ clock, random: () => 0, send: () => { sends += 1; if (sends === 2) holder.t?.stop(); } });
    clock.advance(200_000);
    expect(sends).toBe(2);
    expect(clock.pending).toBe(0);
  });
});

describe('MessageDeduplicator (RFC 7252 §4.5)', () => {
  it('finds a (peer, Message ID) within the lifetime, not from another peer, and forgets it after', () => {
    const clock = new FakeCoapClock();
    const lifetimeMs = EXCHANGE_LIFETIME_SEC * 1000;
    const dedup = new MessageDeduplicator<string>(clock, lifetimeMs);
    dedup.remember('udp|10.0.0.1|5683', 42, 'reply');
    expect(dedup.lookup('udp|10.0.0.1|5683', 42)).toEqual({ value: 'reply' });
    expect(dedup.lookup('udp|10.0.0.1|5684', 42)).toBeUndefined();
    expect(dedup.lookup('udp|10.0.0.1|5683', 43)).toBeUndefined();
    clock.advance(lifetimeMs - 1);
    expect(dedup.lookup('udp|10.0.0.1|5683', 42)).toEqual({ value: 'reply' });
    clock.advance(1);
    expect(dedup.lookup('udp|10.0.0.1|5683', 42)).toBeUndefined();
    dedup.prune();
    expect(dedup.size).toBe(0);
  });

  it('prunes expired entries as new ones arrive, so the table stays bounded by the arrival rate', () => {
    const clock = new FakeCoapClock();
    const dedup = new MessageDeduplicator<null>(clock, 1000);
    for (let mid = 0; mid < 100; mid += 1) {
      dedup.remember('p', mid, null);
      clock.advance(100);
    }
    expect(dedup.size).toBeLessThanOrEqual(11);
    expect(dedup.lookup('p', 99)).toEqual({ value: null });
  });
});

describe('CoapExchangeStore (matching, RFC 7252 §5.3.2)', () => {
  const setup = () => {
    const clock = new FakeCoapClock();
    const store = new CoapExchangeStore<'closed'>(clock, PARAMS, seededRandom(3));
    const sent: Uint8Array[] = [];
    const request = coapRequest({ code: CoapCode.GET, messageId: store.newMessageId(), token: store.newToken('peer'), path: ['3', '0'] });
    return { clock, store, sent, request };
  };

  it('a piggybacked response (same MID and token) settles it and leaves nothing behind', async () => {
    const { clock, store, sent, request } = setup();
    const h = store.request({ matchKey: 'peer', message: request, send: (b) => sent.push(b), retransmit: true, responseTimeoutMs: 60_000 });
    expect(store.size).toBe(1);
    clock.advance(3000); // a retransmission at most 3 s later
    expect(sent.length).toBe(2);
    expect(store.accept('other', coapResponse(request, CoapCode.CONTENT, 'x'))).toBeNull();
    expect(store.accept('peer', coapResponse(request, CoapCode.CONTENT, 'x'))).toBe('piggybacked');
    const outcome = await h.outcome;
    expect(outcome).toMatchObject({ ok: true, retransmissions: 1 });
    expect(store.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('an ACK with the MID but another token is not a match', () => {
    const { store, request } = setup();
    store.request({ matchKey: 'peer', message: request, send: () => {}, retransmit: true, responseTimeoutMs: null });
    const wrong = { ...coapResponse(request, CoapCode.CONTENT), token: Uint8Array.of(1, 2, 3, 4, 5) };
    expect(store.accept('peer', wrong)).toBeNull();
    expect(store.size).toBe(1);
  });

  it('an empty ACK stops retransmission; the separate response matches by token; the deadline restarts', async () => {
    const { clock, store, sent, request } = setup();
    const h = store.request({ matchKey: 'peer', message: request, send: (b) => sent.push(b), retransmit: true, responseTimeoutMs: null, separateResponseTimeoutMs: 10_000 });
    expect(store.accept('peer', coapAck(request.messageId))).toBe('empty-ack');
    clock.advance(9_999);
    expect(sent.length).toBe(1);
    expect(store.accept('peer', coapSeparateResponse(request, CoapCode.CONTENT, 7, 'v', { type: 'CON' }))).toBe('separate');
    expect((await h.outcome).ok).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('without the separate response the request times out after the empty ACK', async () => {
    const { clock, store, request } = setup();
    const h = store.request({ matchKey: 'peer', message: request, send: () => {}, retransmit: true, responseTimeoutMs: null, separateResponseTimeoutMs: 10_000 });
    store.accept('peer', coapAck(request.messageId));
    clock.advance(10_000);
    expect(await h.outcome).toMatchObject({ ok: false, reason: 'timeout' });
    expect(store.size).toBe(0);
  });

  it('RST fails it with reset; the lost MID no longer matches', async () => {
    const { store, request } = setup();
    const h = store.request({ matchKey: 'peer', message: request, send: () => {}, retransmit: true, responseTimeoutMs: null });
    expect(store.accept('peer', coapReset(request.messageId))).toBe('reset');
    expect(await h.outcome).toMatchObject({ ok: false, reason: 'reset' });
    expect(store.accept('peer', coapReset(request.messageId))).toBeNull();
  });

  it('gives up with timeout after MAX_RETRANSMIT retransmissions when nothing answers', async () => {
    const { clock, store, sent, request } = setup();
    const h = store.request({ matchKey: 'peer', message: request, send: (b) => sent.push(b), retransmit: true, responseTimeoutMs: null });
    clock.advance(MAX_TRANSMIT_WAIT_SEC * 1000);
    expect(await h.outcome).toMatchObject({ ok: false, reason: 'timeout', retransmissions: MAX_RETRANSMIT });
    expect(sent.length).toBe(MAX_RETRANSMIT + 1);
    expect(store.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('sent once without retransmission (SMS) it fails at the overall deadline', async () => {
    const { clock, store, sent, request } = setup();
    const h = store.request({ matchKey: 'peer', message: request, send: (b) => sent.push(b), retransmit: false, responseTimeoutMs: 5000 });
    clock.advance(5000);
    expect(sent.length).toBe(1);
    expect(await h.outcome).toMatchObject({ ok: false, reason: 'timeout', elapsedMs: 5000 });
  });

  it('cancel and cancelAll settle with the owner\'s reason and clear every timer', async () => {
    const { clock, store, request } = setup();
    const a = store.request({ matchKey: 'peer', message: request, send: () => {}, retransmit: true, responseTimeoutMs: 60_000 });
    const other = coapRequest({ code: CoapCode.GET, messageId: store.newMessageId(), token: store.newToken('peer'), path: ['1'] });
    const b = store.request({ matchKey: 'peer', message: other, send: () => {}, retransmit: true, responseTimeoutMs: 60_000 });
    a.cancel('closed', 'one');
    expect(await a.outcome).toMatchObject({ ok: false, reason: 'closed', detail: 'one' });
    store.cancelAll('closed', 'all');
    expect(await b.outcome).toMatchObject({ ok: false, reason: 'closed', detail: 'all' });
    expect(store.size).toBe(0);
    expect(clock.pending).toBe(0);
    a.cancel('closed', 'again'); // settled once only
  });
});
