/**
 * The fault-injection control port of `smsbridge sim modem --control`: a TCP server, one JSON
 * request per line, one JSON reply line each, driving one simulated modem's fault methods
 * (loaded by the command's action, src/cli/sim-modem-command.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { GatewayError } from '../shared/errors.ts';
import type { GarbageKind, SimModem, SmsMemory } from '../sim/modem/index.ts';
import { readLines } from '../sim/network/json-lines.ts';
import type { CliIo } from './io.ts';

/** A request on the control port. */
export type ControlRequest =
  | { readonly op: 'reboot' | 'hang' | 'unhang' | 'unplug' | 'replug' | 'status' }
  | { readonly op: 'garbage'; readonly kind: GarbageKind; readonly length?: number }
  | { readonly op: 'storage-full'; readonly memory: SmsMemory }
  | { readonly op: 'delay'; readonly ms: number }
  | { readonly op: 'drop'; readonly count: number };

/** Longest control line accepted; a longer one closes the connection. */
const MAX_CONTROL_LINE_BYTES = 4096;

const PLAIN_OPS = ['reboot', 'hang', 'unhang', 'unplug', 'replug', 'status'] as const;
const GARBAGE_KINDS: readonly GarbageKind[] = ['random', 'nul', 'long-line'];
const MEMORIES: readonly SmsMemory[] = ['SM', 'ME', 'SR'];

function protocolError(message: string): GatewayError {
  return new GatewayError('GW_ERR_SIM_PROTOCOL', message);
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw protocolError(`${name} must be a non-negative integer`);
  return value;
}

/** Parses one control line. Raises GatewayError GW_ERR_SIM_PROTOCOL on anything else. */
export function parseControlRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw protocolError(`not JSON: ${line.slice(0, 80)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw protocolError('not a JSON object');
  const o = value as Record<string, unknown>;
  const op = o.op;
  if ((PLAIN_OPS as readonly unknown[]).includes(op)) return { op: op as (typeof PLAIN_OPS)[number] };
  switch (op) {
    case 'garbage': {
      if (!(GARBAGE_KINDS as readonly unknown[]).includes(o.kind)) throw protocolError(`garbage.kind must be one of ${GARBAGE_KINDS.join(', ')}`);
      const kind = o.kind as GarbageKind;
      if (o.length === undefined) return { op, kind };
      const length = count(o.length, 'garbage.length');
      if (length < 1 || length > 65_536) throw protocolError('garbage.length must be 1..65536');
      return { op, kind, length };
    }
    case 'storage-full':
      if (!(MEMORIES as readonly unknown[]).includes(o.memory)) throw protocolError(`storage-full.memory must be one of ${MEMORIES.join(', ')}`);
      return { op, memory: o.memory as SmsMemory };
    case 'delay':
      return { op, ms: count(o.ms, 'delay.ms') };
    case 'drop':
      return { op, count: count(o.count, 'drop.count') };
    default:
      throw protocolError(`unknown op ${JSON.stringify(op)}`);
  }
}

/** Carries out one request; resolves with the reply's fields besides `ok` and `op`. */
async function execute(modem: SimModem, request: ControlRequest): Promise<Record<string, unknown>> {
  switch (request.op) {
    case 'reboot':
      modem.reboot();
      return {};
    case 'hang':
      modem.hang();
      return {};
    case 'unhang':
      modem.unhang();
      return {};
    case 'unplug':
      await modem.unplug();
      return {};
    case 'replug':
      await modem.replug();
      return {};
    case 'status':
      return { plugged: modem.plugged, status: modem.status, stats: modem.stats };
    case 'garbage':
      modem.injectGarbage(request.kind, request.length);
      return {};
    case 'storage-full':
      return { memory: request.memory, added: modem.setStorageFull(request.memory) };
    case 'delay':
      modem.setResponseDelayMs(request.ms);
      return {};
    case 'drop':
      modem.dropNextResponses(request.count);
      return {};
  }
}

/** The control port: a TCP server driving one modem's fault methods. */
export class ControlServer {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #modem: SimModem | null = null;

  private constructor(server: Server, private readonly io: CliIo) {
    this.#server = server;
    server.on('connection', (socket) => this.#accept(socket));
  }

  /** Listens on `address`; rejects with GW_ERR_SIM_UNAVAILABLE naming `--control`. */
  static async listen(address: { host: string; port: number }, io: CliIo): Promise<ControlServer> {
    const server = createServer();
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', (error) => reject(new GatewayError('GW_ERR_SIM_UNAVAILABLE', `--control: cannot listen on ${address.host}:${address.port}: ${error.message}`, { option: '--control' })));
      server.listen(address.port, address.host, () => resolveListen());
    });
    return new ControlServer(server, io);
  }

  /** `host:port` actually bound (port 0 resolved). */
  get address(): string {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') return String(address);
    return `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  /** The modem that requests act on (requests before it is set are refused). */
  attach(modem: SimModem): void {
    this.#modem = modem;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolveClose) => this.#server.close(() => resolveClose()));
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    // Requests of one connection are carried out one after the other, replies in order.
    let queue = Promise.resolve();
    const reply = (value: Record<string, unknown>): void => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(value)}\n`);
    };
    readLines(socket, MAX_CONTROL_LINE_BYTES, (line) => {
      queue = queue.then(async () => {
        try {
          const request = parseControlRequest(line);
          const modem = this.#modem;
          if (modem === null) throw protocolError('the modem is not running yet');
          this.io.err(`control ${request.op}`);
          reply({ ok: true, op: request.op, ...(await execute(modem, request)) });
        } catch (error) {
          const body = error instanceof GatewayError ? error.toJSON() : { code: 'GW_ERR_INTERNAL', message: String(error) };
          reply({ ok: false, ...body });
        }
      });
    }, () => undefined);
  }
}
