/**
 * What arrives on a device's core-facing socket: only the core's datagrams count (a named core
 * that seems to speak from elsewhere is resolved again); a response may answer a registration
 * request (the mirror notes it); an ACK or RST ends a retransmission of the gateway or answers a
 * device's message (relayed to it with the device's Message ID; an empty ACK is not sent by SMS);
 * a request or response for a device that is not registered is refused (RST to a CON); the rest
 * goes to CoreRequests (bearer choice, holding, SMS exchanges).
 */
import type { RemoteInfo } from 'node:dgram';
import { coapReset } from '../lwm2m/coap-builders.ts';
import { decodeCoap, isEmpty, type CoapMessage } from '../lwm2m/coap-message.ts';
import type { DeviceRecord } from '../lwm2m/device-record.ts';
import type { RegistrationMirror } from '../lwm2m/registration-mirror.ts';
import type { CoreRequests } from './core-requests.ts';
import type { CoreServerAddress } from './core-server-address.ts';
import type { DeviceExchangeTable } from './device-exchange-table.ts';
import type { RelayOutput } from './relay-output.ts';
import type { RelayCounters, RelayEvents } from './relay-types.ts';

/** What {@link CoreDatagrams} needs from the relay. */
export interface CoreDatagramsContext {
  readonly core: CoreServerAddress;
  readonly mirror: RegistrationMirror;
  readonly counters: RelayCounters;
  readonly exchanges: DeviceExchangeTable;
  readonly output: RelayOutput;
  readonly requests: CoreRequests;
  /** Sends to the device over `bearer` (SMS from its server modem). */
  readonly toDevice: (record: DeviceRecord, bearer: 'sms' | 'udp', message: CoapMessage) => Promise<boolean>;
  readonly dropped: (event: RelayEvents['dropped'][0]) => void;
  /** A failure that is counted and reported, never thrown (see Relay). */
  readonly fail: (endpoint: string | null, error: unknown) => void;
}

/** See the file comment. Holds no state of its own. */
export class CoreDatagrams {
  constructor(private readonly ctx: CoreDatagramsContext) {}

  /** A datagram on the core-facing socket of `endpoint`, handled as the file comment says; rejects on a failure the caller counts (Relay.fromCore). */
  async handle(endpoint: string, bytes: Uint8Array, from: RemoteInfo): Promise<void> {
    const { ctx } = this;
    if (!ctx.core.matches(from.address, from.port)) {
      // Only the core speaks here. A named core may have moved: resolve its name again (rate-limited).
      ctx.core.refreshSoon();
      return;
    }
    ctx.counters.fromCore += 1;
    let message: CoapMessage;
    try {
      message = decodeCoap(bytes);
    } catch (error) {
      ctx.counters.malformed += 1;
      ctx.dropped({ reason: 'malformed-from-core', endpoint, detail: String(error) });
      return;
    }
    // A 2.02 to a De-register makes the mirror forget the device (and the relay its exchange
    // state); the answer must still reach it.
    const known = ctx.mirror.get(endpoint);
    const existing = ctx.exchanges.known(endpoint);
    // A write Redis refuses is counted and logged; the answer still goes to the device (the mirror
    // keeps the record in memory, and Redis gets it with the next save).
    // Only a response can answer a registration request (the mirror ignores the rest): no call, no await for them.
    if (message.code >= 64) await ctx.mirror.noteCoreResponse(endpoint, message).catch((error: unknown) => ctx.fail(endpoint, error));
    const record = ctx.mirror.get(endpoint) ?? known;
    if (message.type === 'ACK' || message.type === 'RST') {
      const stop = existing?.coreAckStop(message.messageId);
      if (stop) {
        stop();
        return;
      }
      const uplink = existing?.uplinkFor(message.messageId);
      if (uplink === undefined || record === undefined) return;
      if (uplink.bearer === 'udp' && ctx.output.answerOverUdp(record, bytes, uplink.deviceMessageId)) return;
      const answer = { ...message, messageId: uplink.deviceMessageId };
      if (isEmpty(message) && uplink.bearer === 'sms') {
        ctx.counters.emptyAcksNotSent += 1; // an SMS device does not retransmit: nothing to stop
        return;
      }
      await ctx.toDevice(record, uplink.bearer, answer);
      return;
    }
    if (record === undefined) {
      if (message.type === 'CON') ctx.output.toCore(endpoint, coapReset(message.messageId));
      ctx.dropped({ reason: 'unknown-device', endpoint, detail: 'the core addressed a device that is not registered' });
      return;
    }
    const exchanges = ctx.exchanges.of(endpoint);
    if (message.code >= 64) {
      await ctx.requests.responseFromCore(record, exchanges, message);
      return;
    }
    await ctx.requests.request(record, exchanges, message);
  }
}
