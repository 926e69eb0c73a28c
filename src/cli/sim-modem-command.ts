/**
 * `smsbridge sim modem …`: one simulated modem on a real pseudo-terminal (socat), attached to
 * the simulated network, with an optional fault-injection control port.
 *
 *   host (smsbridge at, gammu, the gateway) ── <link> ── SimModem ── SimNetwork (--network)
 *   test or script ── TCP, one JSON command per line ──► control (--control) ──► fault methods
 */
import { lstat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { SIM_PROFILES, type SimProfileName } from '../sim/modem/profiles.ts';
import type { SimModem } from '../sim/modem/index.ts';
import type { ControlServer } from './sim-modem-control.ts';
import type { CliIo } from './io.ts';
import { optionError as configError, parseChoiceOption, parseHostPortOption, parseIntegerOption, parsePhoneNumberOption } from './options.ts';

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

/** Validates the options; raises GW_ERR_CONFIG naming the first bad one. */
function parseSettings(options: SimModemCliOptions): SimModemSettings {
  // E.164 (ITU-T): at most 15 digits; the leading `+` marks an international number.
  const msisdn = parsePhoneNumberOption(options.msisdn, '--msisdn', 15).text;
  if (options.link.trim() === '') throw configError('--link', 'the link path is empty');
  const profile = parseChoiceOption(options.profile, '--profile', Object.keys(SIM_PROFILES) as SimProfileName[]);
  const cmgsLatencyMs = parseIntegerOption(options.cmgsLatencyMs, '--cmgs-latency-ms', { min: 0, max: 3_600_000 });
  // TS 31.101 / TS 22.030: a PIN has 4 to 8 digits.
  if (options.pin !== undefined && !/^\d{4,8}$/.test(options.pin)) throw configError('--pin', 'a PIN has 4 to 8 digits');
  return {
    msisdn,
    linkPath: resolve(options.link),
    network: options.network === undefined ? null : parseHostPortOption(options.network, '--network'),
    profile,
    cmgsLatencyMs,
    pin: options.pin ?? null,
    control: options.control === undefined ? null : parseHostPortOption(options.control, '--control'),
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
      const [{ SimModem, lockLink }, { ControlServer }] = await Promise.all([import('../sim/modem/index.ts'), import('./sim-modem-control.ts')]);
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
