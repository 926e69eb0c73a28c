/**
 * The load side of the relay-throughput benchmark, in a process of its own (so its work does
 * not queue on the event loop of the system under test): N UDP "devices" and one counting
 * "core". Started by bench/relay-throughput.ts; not meant to be run by hand.
 *
 *   devices (dgram, one socket each) ──► system under test (gateway or bare forwarder) ──► core
 *
 * The core answers a Register (`POST /rd?ep=…`) with a piggybacked 2.01 and a Location-Path
 * `rd/<ep>`, any other CON with an empty ACK, and counts each NON 2.05 notification by the
 * device index in its token; each count lets that device send its next message (closed loop,
 * at most `window` in flight per device, so neither side is offered more than it can take and
 * nothing is dropped for buffer space). A device that gets no count for `stallMs` while
 * messages are in flight writes them off as lost and goes on.
 *
 * Protocol, one JSON object per line: on start `{"ready":true,"core":{host,port}}`; then for each
 * stdin line `{"op":"setup","set":s,"target":{host,port},"devices":n}` →
 * `{"registered":n,"ms":…}` and `{"op":"burst","set":s,"perDevice":m,"window":w,"stallMs":t}` →
 * {@link BurstResult}. When stdin ends, every socket is closed and the process exits.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import {
  CoapCode, CoapOptionNumber, ContentFormat, coapAck, coapRequest, coapResponse, decodeCoap, encodeCoap, encodeUintOption, stringOptions,
  uriPath, uriQuery, type CoapMessage,
} from '../../src/lwm2m/index.ts';

/** What one burst measured (all devices of one set). */
export interface BurstResult {
  readonly sent: number;
  readonly received: number;
  /** sent − received after the burst (written off by the stall timer, or never counted). */
  readonly lost: number;
  /** First send to last count at the core. */
  readonly seconds: number;
  /** received / seconds. */
  readonly rate: number;
  /** Times a device wrote its in-flight messages off. */
  readonly stalls: number;
}

interface Device {
  readonly index: number;
  readonly socket: Socket;
  readonly template: Buffer;
  messageId: number;
  target: number;
  sent: number;
  received: number;
  inFlight: number;
  lastProgressMs: number;
}

interface DeviceSet {
  readonly id: number;
  readonly name: string;
  readonly devices: Device[];
  window: number;
  /** Resolves when every device sent its messages and has none in flight. */
  onIdle: (() => void) | null;
  firstSendMs: number;
  lastReceiveMs: number;
  stalls: number;
}

const reply = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`);
const sets = new Map<number, DeviceSet>();
const byName = new Map<string, DeviceSet>();
/** Register answers awaited: endpoint → resolve. */
const registering = new Map<string, () => void>();
const core = createSocket('udp4');
let coreOther = 0;

/** A NON 2.05 notification of `index` in set `setId` (Observe, SenML JSON, 39-byte payload). */
function notificationTemplate(setId: number, index: number): Buffer {
  const message: CoapMessage = {
    version: 1, type: 'NON', code: CoapCode.CONTENT, messageId: 0,
    token: Uint8Array.of(setId, index >> 8, index & 0xff, 0x5a),
    options: [
      { number: CoapOptionNumber.OBSERVE, value: Uint8Array.of(7) },
      { number: CoapOptionNumber.CONTENT_FORMAT, value: encodeUintOption(ContentFormat.SENML_JSON) },
    ],
    payload: Buffer.from('[{"bn":"/3303/0/","n":"5700","v":21.5}]'),
  };
  return Buffer.from(encodeCoap(message));
}

function send(set: DeviceSet, device: Device): void {
  while (device.inFlight < set.window && device.sent < device.target) {
    device.messageId = (device.messageId + 1) & 0xffff;
    const datagram = Buffer.from(device.template);
    datagram.writeUInt16BE(device.messageId, 2);
    device.socket.send(datagram);
    if (set.firstSendMs === 0) set.firstSendMs = performance.now();
    device.sent += 1;
    device.inFlight += 1;
  }
}

function checkIdle(set: DeviceSet): void {
  if (set.onIdle === null) return;
  if (set.devices.every((d) => d.sent >= d.target && d.inFlight === 0)) {
    const done = set.onIdle;
    set.onIdle = null;
    done();
  }
}

core.on('message', (bytes, from) => {
  // Notifications are counted from the header alone: the core must stay cheaper than the relay.
  if (bytes.length >= 8 && bytes[1] === CoapCode.CONTENT && ((bytes[0] ?? 0) & 0x0f) === 4) {
    const set = sets.get(bytes[4] ?? -1);
    const device = set?.devices[((bytes[5] ?? 0) << 8) | (bytes[6] ?? 0)];
    if (set === undefined || device === undefined) return;
    device.received += 1;
    device.inFlight = Math.max(0, device.inFlight - 1);
    const now = performance.now();
    device.lastProgressMs = now;
    set.lastReceiveMs = now;
    send(set, device);
    if (device.inFlight === 0) checkIdle(set);
    return;
  }
  let message: CoapMessage;
  try {
    message = decodeCoap(bytes);
  } catch {
    return;
  }
  coreOther += 1;
  const path = uriPath(message);
  if (message.code === CoapCode.POST && path.length === 1 && path[0] === 'rd') {
    const endpoint = uriQuery(message).find((q) => q.startsWith('ep='))?.slice(3) ?? '';
    const answer = coapResponse(message, CoapCode.CREATED, undefined, { messageId: 0, options: stringOptions(CoapOptionNumber.LOCATION_PATH, ['rd', endpoint], 'Location-Path') });
    core.send(encodeCoap(answer), from.port, from.address);
    return;
  }
  if (message.type === 'CON') core.send(encodeCoap(coapAck(message.messageId)), from.port, from.address);
});

async function bindSocket(socket: Socket): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

async function setup(name: string, target: { host: string; port: number }, count: number): Promise<object> {
  const startedAt = performance.now();
  const id = sets.size + 1;
  const tag = randomBytes(3).toString('hex');
  const set: DeviceSet = { id, name, devices: [], window: 1, onIdle: null, firstSendMs: 0, lastReceiveMs: 0, stalls: 0 };
  for (let index = 0; index < count; index++) {
    const socket = createSocket('udp4');
    await bindSocket(socket);
    socket.connect(target.port, target.host);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => undefined);
    const device: Device = { index, socket, template: notificationTemplate(id, index), messageId: Math.floor(Math.random() * 0x10000), target: 0, sent: 0, received: 0, inFlight: 0, lastProgressMs: 0 };
    set.devices.push(device);
    const endpoint = `bench-${name}-${tag}-${index}`;
    socket.on('message', (bytes) => {
      try {
        const message = decodeCoap(bytes);
        if (message.type === 'ACK' && message.code === CoapCode.CREATED) registering.get(endpoint)?.();
      } catch {
        // not CoAP: ignored
      }
    });
    const register = Buffer.from(encodeCoap(coapRequest({
      type: 'CON', code: CoapCode.POST, messageId: device.messageId, token: Uint8Array.of(0xee, index >> 8, index & 0xff, id),
      path: ['rd'], query: [`ep=${endpoint}`, 'lt=86400', 'lwm2m=1.1', 'b=U'], contentFormat: ContentFormat.LINK_FORMAT,
      payload: '</1/0>,</3/0>,</3303/0>',
    })));
    // CON over UDP: sent again after 1 s, up to 5 times, until the 2.01 comes back.
    await new Promise<void>((resolve, reject) => {
      let attempts = 0;
      const timer = setInterval(() => {
        if (++attempts > 5) {
          clearInterval(timer);
          registering.delete(endpoint);
          reject(new Error(`${endpoint}: no 2.01 after ${attempts - 1} attempts`));
          return;
        }
        socket.send(register);
      }, 1000);
      registering.set(endpoint, () => {
        clearInterval(timer);
        registering.delete(endpoint);
        resolve();
      });
      socket.send(register);
    });
  }
  sets.set(id, set);
  byName.set(name, set);
  return { registered: set.devices.length, ms: Math.round(performance.now() - startedAt) };
}

async function burst(name: string, perDevice: number, window: number, stallMs: number): Promise<BurstResult> {
  const set = byName.get(name);
  if (set === undefined) throw new Error(`no device set "${name}"`);
  set.window = window;
  set.firstSendMs = 0;
  set.lastReceiveMs = 0;
  set.stalls = 0;
  const base = set.devices.map((d) => ({ sent: d.sent, received: d.received }));
  const idle = new Promise<void>((resolve) => (set.onIdle = resolve));
  const startedAt = performance.now();
  for (const device of set.devices) {
    device.target = device.sent + perDevice;
    device.lastProgressMs = startedAt;
  }
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const device of set.devices) {
      if (device.inFlight === 0 || now - device.lastProgressMs < stallMs) continue;
      set.stalls += 1;
      device.inFlight = 0; // written off
      device.lastProgressMs = now;
      send(set, device);
    }
    checkIdle(set);
  }, Math.max(10, Math.floor(stallMs / 4)));
  for (const device of set.devices) send(set, device);
  await idle;
  clearInterval(watchdog);
  // Late arrivals of written-off messages still count; a short grace for them.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const sent = set.devices.reduce((sum, d, i) => sum + d.sent - (base[i]?.sent ?? 0), 0);
  const received = set.devices.reduce((sum, d, i) => sum + d.received - (base[i]?.received ?? 0), 0);
  const seconds = (set.lastReceiveMs - set.firstSendMs) / 1000;
  return { sent, received, lost: sent - received, seconds, rate: seconds > 0 ? received / seconds : 0, stalls: set.stalls };
}

async function main(): Promise<void> {
  await bindSocket(core);
  core.on('error', () => undefined);
  const input = createInterface({ input: process.stdin });
  // Commands run one at a time, in order.
  let chain = Promise.resolve();
  input.on('line', (line) => {
    chain = chain.then(async () => {
      try {
        const command = JSON.parse(line) as Record<string, unknown>;
        if (command.op === 'setup') {
          reply(await setup(String(command.set), command.target as { host: string; port: number }, Number(command.devices)));
        } else if (command.op === 'burst') {
          reply(await burst(String(command.set), Number(command.perDevice), Number(command.window), Number(command.stallMs)));
        } else if (command.op === 'stats') {
          reply({ coreOther });
        } else {
          reply({ error: `unknown op ${String(command.op)}` });
        }
      } catch (error) {
        reply({ error: error instanceof Error ? error.message : String(error) });
      }
    });
  });
  input.on('close', () => {
    void chain.finally(() => {
      for (const set of sets.values()) for (const device of set.devices) device.socket.close();
      core.close();
    });
  });
  const address = core.address();
  reply({ ready: true, core: { host: address.address, port: address.port } });
}

main().catch((error: unknown) => {
  reply({ error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
});
