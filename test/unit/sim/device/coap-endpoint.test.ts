/**
 * The simulated device's CoAP endpoint on a fake clock, with an in-memory peer (the endpoint is
 * the message layer only: bytes in, bytes out through the peer's `send`).
 */
import { describe, expect, it } from 'vitest';
import { CoapCode, coapAck, coapSeparateResponse, decodeCoap, encodeCoap, type CoapMessage } from '../../../../src/lwm2m/index.ts';
import { DeviceCoapEndpoint, type CoapPeer } from '../../../../src/sim/device/coap-endpoint.ts';
import { FakeCoapClock } from '../../../support/fake-coap-clock.ts';

function peerOf(bearer: 'udp' | 'sms'): CoapPeer & { readonly sent: CoapMessage[] } {
  const sent: CoapMessage[] = [];
  return { bearer, key: `${bearer}:server`, sent, send: async (bytes) => { sent.push(decodeCoap(bytes)); } };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('DeviceCoapEndpoint on the shared message layer', () => {
  it('acknowledges a retransmitted CON separate response again instead of resetting it (RFC 7252 §4.5)', async () => {
    const clock = new FakeCoapClock();
    const endpoint = new DeviceCoapEndpoint(() => ({ code: CoapCode.CONTENT }), { clock });
    const peer = peerOf('udp');
    const result = endpoint.request(peer, { code: CoapCode.POST, path: ['rd'] });
    const request = peer.sent[0]!;
    endpoint.receive(encodeCoap(coapAck(request.messageId)), peer);
    const separate = encodeCoap(coapSeparateResponse(request, CoapCode.CREATED, 0x4242, undefined, { type: 'CON' }));
    endpoint.receive(separate, peer);
    expect(await result).toMatchObject({ ok: true });
    endpoint.receive(separate, peer); // the server did not get our ACK and sends it again
    await flush();
    const replies = peer.sent.slice(1);
    expect(replies.map((m) => m.type)).toEqual(['ACK', 'ACK']);
    expect(replies.every((m) => m.messageId === 0x4242)).toBe(true);
    endpoint.close();
    expect(clock.pending).toBe(0);
  });

  it('retransmits over UDP on the RFC schedule and leaves nothing behind when it gives up', async () => {
    const clock = new FakeCoapClock();
    const endpoint = new DeviceCoapEndpoint(() => ({ code: CoapCode.CONTENT }), { clock, ackRandomFactor: 1 });
    const peer = peerOf('udp');
    const result = endpoint.request(peer, { code: CoapCode.POST, path: ['rd'] });
    clock.advance(2000 + 4000 + 8000 + 16000 + 32000);
    expect(await result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(peer.sent.length).toBe(5);
    expect(endpoint.pendingExchanges).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('sends once over SMS and fails at the response timeout', async () => {
    const clock = new FakeCoapClock();
    const endpoint = new DeviceCoapEndpoint(() => ({ code: CoapCode.CONTENT }), { clock, responseTimeoutMs: 30_000 });
    const peer = peerOf('sms');
    const result = endpoint.request(peer, { code: CoapCode.POST, path: ['rd'] });
    clock.advance(29_999);
    expect(endpoint.pendingExchanges).toBe(1);
    clock.advance(1);
    expect(await result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(peer.sent.length).toBe(1);
  });
});
