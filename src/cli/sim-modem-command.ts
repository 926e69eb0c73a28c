/**
 * `smsbridge sim modem …`: one simulated modem on a real pseudo-terminal (socat), attached to
 * the simulated network, with an optional fault-injection control port.
 *
 *   host (smsbridge at, gammu, the gateway) ── <link> ── SimModem ── SimNetwork (--network)
 *   test or script ── TCP, one JSON command per line ──► control (--control) ──► fault methods
 */
import { lstat } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { GatewayError } from '../shared/errors.ts';
import { SIM_PROFILES, SimModem, lockLink, type GarbageKind, type SimProfileName, type SmsMemory } from '../sim/modem/index.ts';
import { readLines } from '../sim/network/json-lines.ts';
import type { CliIo } from './io.ts';
import { parseHostPort } from './host-port.ts';

/** Options of `sim modem` as commander parses them. */
interface SimModemCliOptions {
  msisdn: string;
  link: string;
  network?: string;
  profile: string;
  cmgsLatencyMs: string;
  pin?: string;
  control?: string;
}

/** The validated options. */
interface SimModemSettings {
  readonly msisdn: string;
  readonly linkPath: string;
  readonly network: { host: string; port: number } | null;
  readonly profile: SimProfileName;
  readonly cmgsLatencyMs: number;
  readonly pin: string | null;
  readonly control: { host: string; port: number } | null;
}

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

const CONTROL_HELP = `
Prints {"modem":"<absolute link path>","msisdn":"…","profile":"…","network":"host:port"|null}
(and "control":"host:port" with --control) on one line when the host can open the link, then
runs until SIGINT/SIGTERM; it then removes the link and leaves the network. While it runs,
<link>.lock holds its pid: another sim modem on the same --link is refused (GW_ERR_SIM_LINK_IN_USE);
a lock left by a crashed run is taken over.

Control port (--control): TCP, one JSON object per line, one JSON reply line each, in order:
  {"op":"reboot"}                   deaf for 300 ms, then the profile's boot banner (RDY, …)
  {"op":"hang"} / {"op":"unhang"}   stop / resume answering anything
  {"op":"unplug"} / {"op":"replug"} remove / recreate the pty at the same path (state kept)
  {"op":"garbage","kind":"random"|"nul"|"long-line"[,"length":n]}   write garbage to the host
  {"op":"storage-full","memory":"SM"|"ME"|"SR"}   fill a storage with old read messages
  {"op":"delay","ms":n}             delay every byte to the host by n ms (0 = none)
  {"op":"drop","count":n}           the next n command lines get no answer
  {"op":"status"}                   the modem's state, counters and whether it is plugged
Replies: {"ok":true,"op":"…",…} or {"ok":false,"code":"GW_ERR_SIM_PROTOCOL","message":"…"}.`;

function configError(option: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_CONFIG', `${option}: ${message}`, { option });
}

/** Validates the options; raises GW_ERR_CONFIG naming the first bad one. */
function parseSettings(options: SimModemCliOptions): SimModemSettings {
  // E.164 (ITU-T): at most 15 digits; the leading `+` marks an international number.
  if (!/^\+?\d{1,15}$/.test(options.msisdn)) throw configError('--msisdn', `"${options.msisdn}" is not a number of 1..15 digits (optionally +)`);
  if (options.link.trim() === '') throw configError('--link', 'the link path is empty');
  if (!Object.hasOwn(SIM_PROFILES, options.profile)) {
    throw configError('--profile', `"${options.profile}" is not one of ${Object.keys(SIM_PROFILES).join(', ')}`);
  }
  if (!/^\d{1,7}$/.test(options.cmgsLatencyMs)) throw configError('--cmgs-latency-ms', `"${options.cmgsLatencyMs}" is not a number of milliseconds`);
  // TS 31.101 / TS 22.030: a PIN has 4 to 8 digits.
  if (options.pin !== undefined && !/^\d{4,8}$/.test(options.pin)) throw configError('--pin', 'a PIN has 4 to 8 digits');
  return {
    msisdn: options.msisdn,
    linkPath: resolve(options.link),
    network: options.network === undefined ? null : parseHostPort(options.network, '--network'),
    profile: options.profile as SimProfileName,
    cmgsLatencyMs: Number(options.cmgsLatencyMs),
    pin: options.pin ?? null,
    control: options.control === undefined ? null : parseHostPort(options.control, '--control'),
  };
}

/** The link's directory must exist; the link itself may only be a (stale) symlink. */
async function checkLinkPath(linkPath: string): Promise<void> {
  const directory = dirname(linkPath);
  const dirStat = await lstat(directory).catch(() => null);
  if (dirStat === null || !dirStat.isDirectory()) throw configError('--link', `directory ${directory} does not exist`);
  const existing = await lstat(linkPath).catch(() => null);
  if (existing !== null && !existing.isSymbolicLink()) throw configError('--link', `${linkPath} exists and is not a symlink`);
}

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
class ControlServer {
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

/** Adds `sim modem` to the `sim` command group. */
export function addSimModemCommand(sim: Command, io: CliIo): Command {
  return sim
    .command('modem')
    .description('run a simulated modem on a pseudo-terminal (socat) at --link, attached to the simulated network')
    .requiredOption('--msisdn <number>', 'the modem\'s own number, e.g. +491700000001 (network identity, AT+CNUM)')
    .requiredOption('--link <path>', 'where to symlink the pty, e.g. /tmp/sim/ttySIM0 (its directory must exist)')
    .option('--network <host:port>', 'the simulated network (smsbridge sim network); without it the modem runs standalone and sends fail with +CMS ERROR: 331')
    .option('--profile <name>', `modem family: ${Object.keys(SIM_PROFILES).join(', ')}`, 'generic')
    .option('--cmgs-latency-ms <ms>', 'extra time before +CMGS: <mr> answers a send', '0')
    .option('--pin <pin>', 'SIM PIN the host must enter with AT+CPIN (default: none asked)')
    .option('--control <host:port>', 'fault-injection control port, one JSON command per line (port 0 picks one)')
    .addHelpText('after', CONTROL_HELP)
    .action(async (options: SimModemCliOptions) => {
      const settings = parseSettings(options);
      await checkLinkPath(settings.linkPath);
      const lock = await lockLink(settings.linkPath); // refuses a path a running modem holds
      const stopped = io.untilStopped(); // from now on a signal stops the modem cleanly
      let modem: SimModem;
      let control: ControlServer | null = null;
      try {
        control = settings.control === null ? null : await ControlServer.listen(settings.control, io);
        modem = await SimModem.start({
          msisdn: settings.msisdn,
          linkPath: settings.linkPath,
          network: settings.network,
          profile: settings.profile,
          cmgsLatencyMs: settings.cmgsLatencyMs,
          pin: settings.pin,
        });
      } catch (error) {
        await control?.close();
        await lock.release();
        throw error;
      }
      modem.on('networkLost', () => io.err('network connection lost; sends now fail with +CMS ERROR: 331'));
      modem.on('ptyLost', () => io.err(`the pty at ${settings.linkPath} vanished (socat ended); {"op":"replug"} recreates it`));
      control?.attach(modem);
      const network = settings.network === null ? null : `${settings.network.host}:${settings.network.port}`;
      io.json({
        modem: settings.linkPath,
        msisdn: settings.msisdn,
        profile: settings.profile,
        network,
        ...(control === null ? {} : { control: control.address }),
      });
      await stopped;
      await control?.close();
      await modem.stop();
      await lock.release();
    });
}
