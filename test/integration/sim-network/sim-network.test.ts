import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SimNetworkClient, type SimDelivery } from '../../../src/sim/network/network-client.ts';
import { SimNetwork } from '../../../src/sim/network/sim-network.ts';
import { decodePdu, splitIntoSubmitPdus } from '../../../src/sms/index.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function network(options: ConstructorParameters<typeof Object>[0] = {}): Promise<SimNetwork> {
  const net = await SimNetwork.start({ deliveryDelayMs: 0, ...options });
  cleanups.push(() => net.stop());
  return net;
}

async function subscriber(net: SimNetwork, msisdn: string): Promise<SimNetworkClient> {
  const client = await SimNetworkClient.connect({ ...net.address, msisdn });
  cleanups.push(() => client.close());
  return client;
}

/** The TPDU (SMSC field `00` removed) of a one-part SMS-SUBMIT. */
function submitTpdu(to: string, data: number[], statusReport = false): string {
  const [part] = splitIntoSubmitPdus({ destination: to, payload: { data: Uint8Array.from(data) }, statusReportRequest: statusReport });
  expect(part?.hex.startsWith('00')).toBe(true);
  return part!.hex.slice(2);
}

function nextDelivery(client: SimNetworkClient): Promise<SimDelivery> {
  return client.next('deliver').then(([delivery]) => delivery);
}

describe('simulated SMS network', () => {
  it('routes an SMS-SUBMIT from one subscriber to another as an SMS-DELIVER with the SMSC field', async () => {
    const net = await network({ smscMsisdn: '491720000000' });
    const a = await subscriber(net, '491700000001');
    const b = await subscriber(net, '+491700000002');
    const delivery = nextDelivery(b);
    expect(await a.submit(submitTpdu('+491700000002', [0x40, 0x01, 0xab, 0xcd]))).toEqual({ ok: true });
    const received = await delivery;
    expect(received.kind).toBe('deliver');
    const pdu = decodePdu(received.pduHex);
    expect(pdu.type).toBe('deliver');
    if (pdu.type !== 'deliver') return;
    expect(pdu.smsc).toEqual({ value: '491720000000', typeOfNumber: 'international', numberingPlan: 1 });
    expect(pdu.originator).toEqual({ value: '491700000001', typeOfNumber: 'international', numberingPlan: 1 });
    expect(Buffer.from(pdu.userData.data).toString('hex')).toBe('4001abcd');
    expect(pdu.dcs.raw).toBe(0x04);
    b.ack(received.deliveryId, true);
    await expect.poll(() => net.stats.delivered).toBe(1);
  });

  it('sends a status report to the sender once the recipient acknowledged, with the TP-MR of the submit', async () => {
    const net = await network();
    const a = await subscriber(net, '491700000001');
    const b = await subscriber(net, '491700000002');
    const tpdu = `${submitTpdu('491700000002', [1, 2, 3], true).slice(0, 2)}2A${submitTpdu('491700000002', [1, 2, 3], true).slice(4)}`; // TP-MR 0x2A
    const delivered = nextDelivery(b);
    await a.submit(tpdu);
    const report = nextDelivery(a);
    b.ack((await delivered).deliveryId, true);
    const received = await report;
    expect(received.kind).toBe('status-report');
    const pdu = decodePdu(received.pduHex);
    expect(pdu.type).toBe('status-report');
    if (pdu.type !== 'status-report') return;
    expect(pdu.messageReference).toBe(0x2a);
    expect(pdu.status).toBe(0);
    expect(pdu.recipient.value).toBe('491700000002');
  });

  it('holds SMS for an absent number and delivers them in order when it attaches', async () => {
    const net = await network();
    const a = await subscriber(net, '491700000001');
    for (const n of [1, 2, 3]) expect(await a.submit(submitTpdu('491700000009', [n]))).toEqual({ ok: true });
    await expect.poll(() => net.pendingFor('491700000009')).toBe(3);
    const late = await subscriber(net, '491700000009');
    const seen: number[] = [];
    late.on('deliver', (d) => {
      const pdu = decodePdu(d.pduHex);
      if (pdu.type === 'deliver') seen.push(pdu.userData.data[0] ?? -1);
      late.ack(d.deliveryId, true);
    });
    await expect.poll(() => seen).toEqual([1, 2, 3]);
  });

  it('retries a refused delivery (memory capacity exceeded) after the retry interval', async () => {
    const net = await network({ retryIntervalMs: 50 });
    const a = await subscriber(net, '491700000001');
    const b = await subscriber(net, '491700000002');
    let refusals = 0;
    const ids: number[] = [];
    b.on('deliver', (d) => {
      ids.push(d.deliveryId);
      if (refusals < 2) {
        refusals += 1;
        b.ack(d.deliveryId, false, 22);
      } else {
        b.ack(d.deliveryId, true);
      }
    });
    await a.submit(submitTpdu('491700000002', [7]));
    await expect.poll(() => net.stats.delivered).toBe(1);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1); // the same SMS each time
    expect(net.stats.refused).toBe(2);
  });

  it('refuses a TPDU that is not an SMS-SUBMIT with RP cause 96 and keeps the connection', async () => {
    const net = await network();
    const a = await subscriber(net, '491700000001');
    expect(await a.submit('00')).toEqual({ ok: false, cause: 96 });
    expect(await a.submit(submitTpdu('491700000002', [1]))).toEqual({ ok: true });
    expect(net.stats.rejected).toBe(1);
  });

  it('answers protocol garbage with an error line and does not crash', async () => {
    const net = await network();
    const socket = connect(net.address);
    cleanups.push(async () => void socket.destroy());
    const replies: string[] = [];
    socket.on('data', (chunk) => replies.push(...chunk.toString().trim().split('\n')));
    socket.write('not json\n{"op":"submit","id":1,"tpdu":"00"}\n{"op":"attach","msisdn":"12ab"}\n');
    await expect.poll(() => replies.length).toBe(3);
    expect(replies.map((r) => JSON.parse(r).op)).toEqual(['error', 'error', 'error']);
    expect(net.stats.protocolErrors).toBe(2);
    // The network still serves others.
    const a = await subscriber(net, '491700000001');
    expect(await a.submit(submitTpdu('491700000002', [1]))).toEqual({ ok: true });
  });

  it('lets a new connection for the same number replace the old one (a modem that came back)', async () => {
    const net = await network();
    const first = await subscriber(net, '491700000005');
    const closed = first.next('closed');
    await subscriber(net, '491700000005');
    await closed;
    expect(net.attached).toEqual(['491700000005']);
  });
});
