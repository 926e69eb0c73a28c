/**
 * `smsbridge sim device …`: a simulated LwM2M device (UDP and/or SMS through the simulated
 * network), or with `--tunnel` an SMS tunnel that makes any UDP LwM2M client an SMS device.
 *
 *   sim device --binding S   ── SMS ── sim network ── gateway modem ── gateway ── UDP ── core server
 *   sim device --binding U   ── UDP ───────────────────────────────── (--udp) gateway or core server
 *   LwM2M client ── UDP ── sim device --tunnel ── SMS ── sim network ── gateway modem
 */
import type { Command } from 'commander';
import { GatewayError } from '../shared/errors.ts';
import type { SimDevice, SimDeviceOptions, SmsTunnel } from '../sim/device/index.ts';
import type { CliIo } from './io.ts';
import { optionError as configError, parseHostPortOption, parseIntegerOption, parsePhoneNumberOption } from './options.ts';

/** Options of `sim device` as commander parses them. */
interface SimDeviceCliOptions {
  msisdn: string;
  endpoint?: string;
  binding?: string;
  lifetime?: string;
  network?: string;
  gatewayNumber?: string;
  udp?: string;
  lwm2m?: string;
  queue?: boolean;
  tunnel?: string;
  objects?: string;
  objectLinks?: string;
  awakeWindowMs?: string;
}

/** Option names of SimDevice / SmsTunnel errors → the flags that set them. */
const FLAGS: Readonly<Record<string, string>> = {
  msisdn: '--msisdn',
  endpoint: '--endpoint',
  binding: '--binding',
  lifetimeSec: '--lifetime',
  network: '--network',
  gatewayNumber: '--gateway-number',
  udp: '--udp',
  lwm2mVersion: '--lwm2m',
  queueMode: '--queue',
  objectLinks: '--object-links',
  awakeWindowMs: '--awake-window-ms',
  listen: '--tunnel',
};

/** Flags of the device form that make no sense with `--tunnel`. */
const DEVICE_ONLY: readonly (keyof SimDeviceCliOptions)[] = ['endpoint', 'binding', 'lifetime', 'udp', 'lwm2m', 'queue', 'objects', 'objectLinks', 'awakeWindowMs'];

const HELP = `
Device form (--endpoint, --binding): prints {"device":"<endpoint>",…} when started and
{"registered":"/rd/…",…} on every registration, logs updates and requests on stderr, runs until
SIGINT/SIGTERM, de-registers, and prints {"stopped":"<endpoint>","stats":{…}}.
  Bindings: 1.0 U, UQ, S, SQ, US, UQS; 1.1 letters U, S (queue mode with --queue).
  U needs --udp; S needs --network and --gateway-number.

Tunnel form (--tunnel udp://host:port, --network, --gateway-number): every datagram a LwM2M
client sends to that address leaves as SMS from --msisdn to the gateway number; every SMS from
the gateway number comes back as a datagram to the client. Prints {"tunnel":"udp://…",…} when
started and {"stopped":"tunnel","stats":{…}} at the end.

Bad options exit 1 with {"code":"GW_ERR_CONFIG","message":"…","option":"--…"} on stderr.`;

/** Renames the option of a SimDevice / SmsTunnel error to its command-line flag. */
function withFlag(error: unknown): unknown {
  if (!(error instanceof GatewayError)) return error;
  const option = error.details.option;
  const flag = typeof option === 'string' ? FLAGS[option] : undefined;
  if (flag === undefined || typeof option !== 'string') return error;
  const message = error.message.startsWith(`${option}:`) ? `${flag}${error.message.slice(option.length)}` : `${flag}: ${error.message}`;
  return new GatewayError(error.code, message, { ...error.details, option: flag });
}

function decimal(text: string | undefined, flag: string, max: number): number | undefined {
  return text === undefined ? undefined : parseIntegerOption(text, flag, { min: 0, max });
}

function hostPort(text: string | undefined, flag: string): { host: string; port: number } | null {
  return text === undefined ? null : parseHostPortOption(text, flag);
}

/** The SimDevice options of the device form; raises GW_ERR_CONFIG naming the first bad flag. */
function deviceOptions(options: SimDeviceCliOptions, objectLinkList: (count: number) => string): SimDeviceOptions {
  if (options.endpoint === undefined) throw configError('--endpoint', 'required (or --tunnel for the tunnel form)');
  if (options.binding === undefined) throw configError('--binding', 'required: U, UQ, S, SQ, US or UQS (1.0), letters U and S (1.1)');
  if (options.lwm2m !== undefined && options.lwm2m !== '1.0' && options.lwm2m !== '1.1') throw configError('--lwm2m', `"${options.lwm2m}" is not 1.0 or 1.1`);
  if (options.objects !== undefined && options.objectLinks !== undefined) throw configError('--objects', 'give --objects or --object-links, not both');
  const lifetimeSec = decimal(options.lifetime, '--lifetime', 0xffff_ffff);
  if (lifetimeSec === 0) throw configError('--lifetime', 'must be at least 1 second');
  const objects = decimal(options.objects, '--objects', 1000);
  if (objects === 0) throw configError('--objects', 'must be 1..1000');
  const awakeWindowMs = decimal(options.awakeWindowMs, '--awake-window-ms', 86_400_000);
  const objectLinks = objects === undefined ? options.objectLinks : objectLinkList(objects);
  return {
    msisdn: options.msisdn,
    endpoint: options.endpoint,
    binding: options.binding,
    lwm2mVersion: (options.lwm2m ?? '1.0') as '1.0' | '1.1',
    queueMode: options.queue === true,
    network: hostPort(options.network, '--network'),
    gatewayNumber: options.gatewayNumber ?? null,
    udp: hostPort(options.udp, '--udp'),
    ...(lifetimeSec === undefined ? {} : { lifetimeSec }),
    ...(objectLinks === undefined ? {} : { objectLinks }),
    ...(awakeWindowMs === undefined ? {} : { awakeWindowMs }),
  };
}

async function runDevice(options: SimDeviceCliOptions, io: CliIo): Promise<void> {
  const { SimDevice, objectLinkList } = await import('../sim/device/index.ts');
  const settings = deviceOptions(options, objectLinkList);
  const stopped = io.untilStopped();
  let device: SimDevice;
  try {
    device = await SimDevice.start(settings);
  } catch (error) {
    throw withFlag(error);
  }
  const address = (value: { host: string; port: number } | null | undefined): string | null => (value ? `${value.host}:${value.port}` : null);
  io.json({
    device: device.endpoint,
    msisdn: device.msisdn,
    binding: device.binding,
    lwm2m: device.lwm2mVersion,
    queueMode: device.queueMode,
    lifetimeSec: device.lifetimeSec,
    udp: address(device.udpAddress),
    server: address(settings.udp),
    network: address(settings.network),
    gatewayNumber: settings.gatewayNumber?.replace(/^\+/, '') ?? null,
  });
  device.on('registered', (info) => io.json({ registered: info.location, endpoint: device.endpoint, bearer: info.bearer, lifetimeSec: info.lifetimeSec }));
  device.on('registrationFailed', (reason) => io.err(`register failed: ${reason}`));
  device.on('updated', (bearer, reason) => io.err(`update (${reason}) over ${bearer}: 2.04`));
  device.on('updateFailed', (reason) => io.err(`update failed: ${reason}`));
  device.on('request', (request) => io.err(`${request.method} ${request.path} over ${request.bearer}: ${request.code}`));
  device.on('smsIgnored', (from, reason) => io.err(`SMS from ${from || '?'} ignored: ${reason}`));
  device.on('awake', () => io.err('awake'));
  device.on('asleep', () => io.err('asleep'));
  await stopped;
  await device.stop();
  io.json({ stopped: device.endpoint, stats: device.stats });
}

async function runTunnel(options: SimDeviceCliOptions, io: CliIo): Promise<void> {
  for (const key of DEVICE_ONLY) {
    if (options[key] !== undefined) throw configError(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, 'not used with --tunnel');
  }
  const tunnel = options.tunnel ?? '';
  if (!tunnel.startsWith('udp://')) throw configError('--tunnel', `"${tunnel}" is not udp://host:port`);
  const listen = parseHostPortOption(tunnel.slice('udp://'.length), '--tunnel');
  if (options.network === undefined) throw configError('--network', 'required with --tunnel');
  if (options.gatewayNumber === undefined) throw configError('--gateway-number', 'required with --tunnel');
  const network = parseHostPortOption(options.network, '--network');
  const { SmsTunnel } = await import('../sim/device/index.ts');
  const stopped = io.untilStopped();
  let sms: SmsTunnel;
  try {
    sms = await SmsTunnel.start({ msisdn: options.msisdn, listen, network, gatewayNumber: options.gatewayNumber });
  } catch (error) {
    throw withFlag(error);
  }
  const bound = sms.address;
  io.json({
    tunnel: `udp://${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}`,
    msisdn: sms.msisdn,
    gatewayNumber: sms.gatewayNumber,
    network: `${network.host}:${network.port}`,
  });
  sms.on('uplink', (payload, parts) => io.err(`uplink ${payload.length} B as ${parts} SMS`));
  sms.on('downlink', (payload) => io.err(`downlink ${payload.length} B`));
  sms.on('sendFailed', (error) => io.err(`uplink failed: ${error instanceof Error ? error.message : String(error)}`));
  sms.on('smsIgnored', (from, reason) => io.err(`SMS from ${from || '?'} ignored: ${reason}`));
  await stopped;
  await sms.stop();
  io.json({ stopped: 'tunnel', stats: sms.stats });
}

/** Adds `sim device` to the `sim` command group. */
export function addSimDeviceCommand(sim: Command, io: CliIo): void {
  sim
    .command('device')
    .description('run a simulated LwM2M device (UDP and/or SMS), or with --tunnel carry a UDP LwM2M client over SMS')
    .requiredOption('--msisdn <number>', 'the device\'s own number, e.g. +491700000101 (network identity, sms= parameter)')
    .option('--endpoint <name>', 'Endpoint Client Name (ep)')
    .option('--binding <b>', 'binding: U, UQ, S, SQ, US, UQS (1.0) or letters U, S (1.1)')
    .option('--lifetime <s>', 'lifetime in seconds (lt, /1/0/1); default 86400')
    .option('--network <host:port>', 'the simulated SMS network (smsbridge sim network); needed for S and --tunnel')
    .option('--gateway-number <number>', 'the gateway modem\'s number: SMS go there and only SMS from it are accepted')
    .option('--udp <host:port>', 'the server\'s (gateway\'s) UDP address; needed for U')
    .option('--lwm2m <version>', 'LwM2M version, 1.0 or 1.1; default 1.0')
    .option('--queue', 'queue mode (1.0: adds Q to the binding; 1.1: the Q parameter)')
    .option('--objects <count>', 'register this many object links (</1/0>,</3/0>,</4/0>,…)')
    .option('--object-links <links>', 'the Register payload, e.g. "</1/0>,</3/0>"; default </1/0>,</3/0>')
    .option('--awake-window-ms <ms>', 'queue mode: time awake after an exchange; default 93000')
    .option('--tunnel <udp://host:port>', 'tunnel form: listen here and carry each datagram as SMS (port 0 picks one)')
    .addHelpText('after', HELP)
    .action(async (options: SimDeviceCliOptions) => {
      // E.164 (ITU-T): at most 15 digits; the leading `+` marks an international number.
      parsePhoneNumberOption(options.msisdn, '--msisdn', 15);
      if (options.gatewayNumber !== undefined) parsePhoneNumberOption(options.gatewayNumber, '--gateway-number', 15);
      if (options.tunnel !== undefined) await runTunnel(options, io);
      else await runDevice(options, io);
    });
}
