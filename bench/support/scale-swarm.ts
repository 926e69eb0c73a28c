/**
 * The device swarm of the device-scale benchmark, in a process of its own: N LwM2M devices, each
 * with a UDP socket of its own, spread over several 127.0.0.x addresses. Started by
 * bench/device-scale.ts; not meant to be run by hand.
 *
 * A round sends one confirmable request per device (a Register, or an Update to the location
 * the last Register got) to a target (the system under test), at most `window` devices waiting
 * at a time; an answer with the request's Message ID and a 2.xx code completes the device. A
 * device without an answer retransmits after 2 s (RFC 7252 §4.2 keeps the same Message ID), at
 * most 4 times, then counts as failed.
 *
 * Protocol, one JSON object per line: on start `{"ready":true}`;
 * `{"op":"open","devices":n,"hosts":[…]}` → `{"opened":n}`;
 * `{"op":"round","kind":"register"|"update","target":{host,port},"window":w}` → {@link RoundResult}.
 * When stdin ends, every socket is closed and the process exits.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { CoapCode, coapRequest, decodeCoap, encodeCoap, locationPath } from '../../src/lwm2m/index.ts';

/** What one round measured. */
export interface RoundResult {
  readonly ok: number;
  readonly failed: number;
  readonly retransmissions: number;
  /** First send to last answer. */
  readonly seconds: number;
  /** ok / seconds. */
  readonly rate: number;
}

interface Device {
  readonly index: number;
  readonly socket: Socket;
  location: string[];
  messageId: number;
  bytes: Buffer | null;
  sentAtMs: number;
  attempts: number;
}

const RETRANSMIT_MS = 2000;
const MAX_ATTEMPTS = 5;
const devices: Device[] = [];
let round: { resolve: () => void; next: number; waiting: Set<Device>; ok: number; failed: number; retransmissions: number; kind: string; target: { host: string; port: number }; lastMs: number } | null = null;

function start(device: Device): void {
  const r = round!;
  device.messageId = (device.messageId + 1) & 0xffff;
  const token = Uint8Array.of(device.index >>> 24, (device.index >>> 16) & 0xff, (device.index >>> 8) & 0xff, device.index & 0xff);
  const message = r.kind === 'register'
    ? coapRequest({ code: CoapCode.POST, messageId: device.messageId, token, path: ['rd'], query: [`ep=scale-${device.index}`, 'lt=86400', 'lwm2m=1.1', 'b=U'], contentFormat: 40, payload: '</1/0>,</3/0>' })
    : coapRequest({ code: CoapCode.POST, messageId: device.messageId, token, path: device.location });
  device.bytes = Buffer.from(encodeCoap(message));
  device.attempts = 1;
  device.sentAtMs = Date.now();
  r.waiting.add(device);
  device.socket.send(device.bytes, r.target.port, r.target.host);
}

function finish(device: Device, ok: boolean): void {
  const r = round!;
  r.waiting.delete(device);
  device.bytes = null;
  if (ok) r.ok += 1;
  else r.failed += 1;
  r.lastMs = Date.now();
  if (r.next < devices.length) start(devices[r.next++]!);
  else if (r.waiting.size === 0) r.resolve();
}

async function open(count: number, hosts: readonly string[]): Promise<number> {
  for (let index = devices.length; index < count; index++) {
    const socket = createSocket('udp4');
    const device: Device = { index, socket, location: [], messageId: index & 0xffff, bytes: null, sentAtMs: 0, attempts: 0 };
    socket.on('error', () => undefined);
    socket.on('message', (bytes) => {
      if (round === null || device.bytes === null) return;
      let answer;
      try {
        answer = decodeCoap(bytes);
      } catch {
        return;
      }
      if (answer.type !== 'ACK' || answer.messageId !== device.messageId || answer.code === 0) return;
      if (answer.code === CoapCode.CREATED) device.location = locationPath(answer);
      finish(device, answer.code >> 5 === 2);
    });
    await new Promise<void>((resolve) => socket.bind(0, hosts[index % hosts.length], () => resolve()));
    devices.push(device);
  }
  return devices.length;
}

async function runRound(kind: string, target: { host: string; port: number }, window: number): Promise<RoundResult> {
  const startMs = Date.now();
  const timer = setInterval(() => {
    const nowMs = Date.now();
    for (const device of [...(round?.waiting ?? [])]) {
      if (nowMs - device.sentAtMs < RETRANSMIT_MS) continue;
      if (device.attempts >= MAX_ATTEMPTS) {
        finish(device, false);
        continue;
      }
      device.attempts += 1;
      device.sentAtMs = nowMs;
      round!.retransmissions += 1;
      device.socket.send(device.bytes!, target.port, target.host);
    }
  }, 250);
  await new Promise<void>((resolve) => {
    round = { resolve, next: 0, waiting: new Set(), ok: 0, failed: 0, retransmissions: 0, kind, target, lastMs: startMs };
    const first = Math.min(window, devices.length);
    round.next = first;
    for (let i = 0; i < first; i++) start(devices[i]!);
    if (first === 0) resolve();
  });
  clearInterval(timer);
  const r = round!;
  round = null;
  const seconds = Math.max(0.001, (r.lastMs - startMs) / 1000);
  return { ok: r.ok, failed: r.failed, retransmissions: r.retransmissions, seconds, rate: r.ok / seconds };
}

const say = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
say({ ready: true });
const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    const request = JSON.parse(line) as { op: string; devices?: number; hosts?: string[]; kind?: string; target?: { host: string; port: number }; window?: number };
    try {
      if (request.op === 'open') say({ opened: await open(request.devices ?? 0, request.hosts ?? ['127.0.0.1']) });
      else if (request.op === 'round') say(await runRound(request.kind ?? 'register', request.target!, request.window ?? 100));
      else say({ error: `unknown op ${request.op}` });
    } catch (error) {
      say({ error: String(error) });
    }
  });
});
lines.on('close', () => {
  void queue.then(async () => {
    await Promise.all(devices.map((d) => new Promise<void>((resolve) => d.socket.close(() => resolve()))));
    process.exit(0);
  });
});
