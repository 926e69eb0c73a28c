/**
 * A tap on the simulated SMS network for the cost benchmark: every SMS-SUBMIT the network
 * accepts (from a device or from a gateway modem) is decoded and its parts are put together
 * again, so each CoAP message carried by SMS is seen once with its size and its part count.
 * Independent of the gateway's and the devices' own counters, which it cross-checks.
 */
import { codeToString, decodeCoap, uriPath } from '../../src/lwm2m/index.ts';
import type { SimNetwork } from '../../src/sim/network/sim-network.ts';
import { decodePdu } from '../../src/sms/index.ts';

/** One whole message (all its parts) submitted to the network. */
export interface TappedMessage {
  /** Sequence number of the message in the tap (order of its last part). */
  readonly index: number;
  /** Digits, no `+`. */
  readonly from: string;
  readonly to: string;
  /** The 8-bit payload with every part's user-data header removed: the CoAP message. */
  readonly bytes: Uint8Array;
  /** SMS parts it took. */
  readonly parts: number;
  /** When the last part was submitted (ms since the epoch). */
  readonly atMs: number;
  /** `CON POST /rd`, `ACK 2.05`, `ACK 0.00`, or `undecodable`. */
  readonly summary: string;
  /** `type|code|token|messageId`, or null when not CoAP: two copies of one message share it. */
  readonly identity: string | null;
  /** True for an Empty message (code 0.00): an ACK or RST without content. */
  readonly empty: boolean;
}

/** What the tap saw so far. */
export interface SmsTap {
  readonly messages: readonly TappedMessage[];
  /** SMS (parts) submitted so far, complete or not. */
  readonly parts: number;
  /** Time of the last submit or delivery on the network (ms since the epoch). */
  readonly lastEventMs: number;
  stop(): void;
}

/** Starts tapping `network`'s `submitted` and `delivered` events. */
export function tapSmsNetwork(network: SimNetwork): SmsTap {
  const messages: TappedMessage[] = [];
  const partial = new Map<string, { parts: (Uint8Array | undefined)[]; received: number }>();
  let parts = 0;
  let lastEventMs = Date.now();

  const complete = (from: string, to: string, bytes: Uint8Array, count: number): void => {
    const described = describe(bytes);
    messages.push({ index: messages.length, from, to, bytes, parts: count, atMs: Date.now(), ...described });
  };

  const onSubmitted = (from: string, to: string, tpduHex: string): void => {
    lastEventMs = Date.now();
    parts += 1;
    let pdu;
    try {
      pdu = decodePdu(tpduHex, { smscPrefix: false });
    } catch {
      complete(from, to, new Uint8Array(0), 1);
      return;
    }
    if (pdu.type !== 'submit') return;
    const data = Uint8Array.from(pdu.userData.data);
    const concat = pdu.userData.header?.concatenation ?? null;
    if (concat === null || concat.total === 1) {
      complete(from, to, data, 1);
      return;
    }
    const key = `${from}>${to}#${concat.referenceBits}:${concat.reference}`;
    let entry = partial.get(key);
    if (entry === undefined) {
      entry = { parts: new Array<Uint8Array | undefined>(concat.total).fill(undefined), received: 0 };
      partial.set(key, entry);
    }
    if (entry.parts[concat.sequence - 1] === undefined) entry.received += 1;
    entry.parts[concat.sequence - 1] = data;
    if (entry.received < concat.total) return;
    partial.delete(key);
    complete(from, to, Buffer.concat(entry.parts.map((p) => p ?? new Uint8Array(0))), concat.total);
  };
  const onDelivered = (): void => {
    lastEventMs = Date.now();
  };
  const offs = [network.on('submitted', onSubmitted), network.on('delivered', onDelivered)];
  return {
    messages,
    get parts() {
      return parts;
    },
    get lastEventMs() {
      return lastEventMs;
    },
    stop: () => {
      for (const off of offs.splice(0)) off();
    },
  };
}

function describe(bytes: Uint8Array): Pick<TappedMessage, 'summary' | 'identity' | 'empty'> {
  try {
    const message = decodeCoap(bytes);
    const path = uriPath(message);
    const code = message.code === 0 ? '0.00' : message.code < 32 ? ['', 'GET', 'POST', 'PUT', 'DELETE'][message.code] ?? codeToString(message.code) : codeToString(message.code);
    const summary = `${message.type} ${code}${path.length > 0 ? ` /${path.join('/')}` : ''}`;
    const identity = `${message.type}|${message.code}|${Buffer.from(message.token).toString('hex')}|${message.messageId}`;
    return { summary, identity, empty: message.code === 0 };
  } catch {
    return { summary: 'undecodable', identity: null, empty: false };
  }
}
