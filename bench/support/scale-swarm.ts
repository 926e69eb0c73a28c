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
 * `{"op":"round","kind":"register"|"update","target":{host,port},"window":w,"from":i,"to":j}` → {@link RoundResult}
 * (devices i … j−1; by default all).
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

/** The round under way: who waits, what came back. */
interface Round {
  readonly resolve: () => void;
  next: number;
  readonly waiting: Set<Device>;
  ok: number;
  failed: number;
  retransmissions: number;
  readonly kind: string;
  readonly target: { host: string; port: number };
  lastMs: number;
  /** One past the last device of the round. */
  readonly end: number;
}

/**
 * The devices and the round under way (state of one swarm process, held by the instance the
 * process creates, not by the module). One round at a time.
 */
class Swarm {
  private readonly devices: Device[] = [];
  private round: Round | null = null;

  /** Opens sockets until `count` devices exist; resolves with the number of devices. */
  async open(count: number, hosts: readonly string[]): Promise<number> {
    for (let index = this.devices.length; index < count; index++) {
      const socket = createSocket('udp4');
      const device: Device = { index, socket, location: [], messageId: index & 0xffff, bytes: null, sentAtMs: 0, attempts: 0 };
      socket.on('error', () => undefined);
      socket.on('message', (bytes) => this.answer(device, bytes));
      await new Promise<void>((resolve) => socket.bind(0, hosts[index % hosts.length], () => resolve()));
      this.devices.push(device);
    }
    return this.devices.length;
  }

  /** One request per device, at most `window` waiting (see the file comment). */
  async runRound(kind: string, target: { host: string; port: number }, window: number, from = 0, to = this.devices.length): Promise<RoundResult> {
    const startMs = Date.now();
    const timer = setInterval(() => this.retransmit(target), 250);
    let r: Round | undefined;
    await new Promise<void>((resolve) => {
      const end = Math.min(to, this.devices.length);
      r = { resolve, next: from, waiting: new Set(), ok: 0, failed: 0, retransmissions: 0, kind, target, lastMs: startMs, end };
      this.round = r;
      const first = Math.min(from + window, end);
      r.next = first;
      for (let i = from; i < first; i++) this.start(r, this.devices[i]!);
      if (first <= from) resolve();
    });
    clearInterval(timer);
    this.round = null;
    const seconds = Math.max(0.001, (r!.lastMs - startMs) / 1000);
    return { ok: r!.ok, failed: r!.failed, retransmissions: r!.retransmissions, seconds, rate: r!.ok / seconds };
  }

  /** Closes every socket. */
  async close(): Promise<void> {
    await Promise.all(this.devices.map((d) => new Promise<void>((resolve) => d.socket.close(() => resolve()))));
  }

  private answer(device: Device, bytes: Buffer): void {
    const r = this.round;
    if (r === null || device.bytes === null) return;
    let answer;
    try {
      answer = decodeCoap(bytes);
    } catch {
      return;
    }
    if (answer.type !== 'ACK' || answer.messageId !== device.messageId || answer.code === 0) return;
    if (answer.code === CoapCode.CREATED) device.location = locationPath(answer);
    this.finish(r, device, answer.code >> 5 === 2);
  }

  private retransmit(target: { host: string; port: number }): void {
    const r = this.round;
    if (r === null) return;
    const nowMs = Date.now();
    for (const device of [...r.waiting]) {
      if (nowMs - device.sentAtMs < RETRANSMIT_MS) continue;
      if (device.attempts >= MAX_ATTEMPTS) {
        this.finish(r, device, false);
        continue;
      }
      device.attempts += 1;
      device.sentAtMs = nowMs;
      r.retransmissions += 1;
      device.socket.send(device.bytes!, target.port, target.host);
    }
  }

  private start(r: Round, device: Device): void {
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

  private finish(r: Round, device: Device, ok: boolean): void {
    r.waiting.delete(device);
    device.bytes = null;
    if (ok) r.ok += 1;
    else r.failed += 1;
    r.lastMs = Date.now();
    if (r.next < r.end) this.start(r, this.devices[r.next++]!);
    else if (r.waiting.size === 0) r.resolve();
  }
}

/** The process: one swarm, its requests answered one after another, in order. */
function main(): void {
  const swarm = new Swarm();
  const say = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
  say({ ready: true });
  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      const request = JSON.parse(line) as { op: string; devices?: number; hosts?: string[]; kind?: string; target?: { host: string; port: number }; window?: number; from?: number; to?: number };
      try {
        if (request.op === 'open') say({ opened: await swarm.open(request.devices ?? 0, request.hosts ?? ['127.0.0.1']) });
        else if (request.op === 'round') say(await swarm.runRound(request.kind ?? 'register', request.target!, request.window ?? 100, request.from, request.to));
        else say({ error: `unknown op ${request.op}` });
      } catch (error) {
        say({ error: String(error) });
      }
    });
  });
  lines.on('close', () => {
    void queue.then(async () => {
      await swarm.close();
      process.exit(0);
    });
  });
}

main();
