/**
 * `smsbridge core`: runs the lab core (src/sim/core), a small LwM2M server for labs and tests,
 * with its HTTP JSON API. Prints `{"coap":"127.0.0.1:5683","http":"127.0.0.1:8080"}` on stdout
 * once both listen, one line per registration event on stderr, and stops on SIGINT / SIGTERM.
 *
 * ```
 * smsbridge core --listen 127.0.0.1:5683 --http 127.0.0.1:8080
 * curl -s localhost:8080/clients
 * curl -s -X POST 'localhost:8080/clients/node1/read?path=/3/0'
 * ```
 */
import type { Command } from 'commander';
import type { LabCoreClient, LabCoreHttpApi } from '../sim/core/index.ts';
import type { CliIo } from './io.ts';
import { parseDecimalOption, parseHostPortOption, parseIntegerOption } from './options.ts';

interface CoreOptions {
  readonly listen: string;
  readonly http: string;
  readonly ackTimeoutMs: string;
  readonly ackRandomFactor: string;
  readonly maxRetransmit: string;
  readonly responseTimeoutMs: string;
}

/** `host:port`, with brackets around an IPv6 host. */
function formatHostPort(address: { host: string; port: number }): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** The lab core's settings from the options; GW_ERR_CONFIG naming the first bad option. */
function coreSettings(options: CoreOptions) {
  const milliseconds = { min: 1, max: 86_400_000 };
  return {
    coap: parseHostPortOption(options.listen, '--listen'),
    http: parseHostPortOption(options.http, '--http'),
    ackTimeoutMs: parseIntegerOption(options.ackTimeoutMs, '--ack-timeout-ms', milliseconds),
    // RFC 7252 §4.8: ACK_RANDOM_FACTOR MUST NOT be below 1.0.
    ackRandomFactor: parseDecimalOption(options.ackRandomFactor, '--ack-random-factor', { min: 1, max: 10 }),
    maxRetransmit: parseIntegerOption(options.maxRetransmit, '--max-retransmit', { min: 0, max: 20 }),
    responseTimeoutMs: parseIntegerOption(options.responseTimeoutMs, '--response-timeout-ms', milliseconds),
  };
}

/** One stderr line describing a registration. */
function describeClient(event: string, client: LabCoreClient): string {
  const sms = client.smsNumber === null ? '' : ` sms=${client.smsNumber}`;
  const queue = client.queueMode ? ' Q' : '';
  return `${event} ep=${client.endpoint} from=${formatHostPort({ host: client.address, port: client.port })} location=${client.location}`
    + ` lt=${client.lifetimeSec} b=${client.binding}${queue} lwm2m=${client.lwm2mVersion}${sms} objects=${client.objectLinks.objects.length}`;
}

/**
 * Adds `smsbridge core` to `program`. The action resolves after SIGINT / SIGTERM
 * (`io.untilStopped()`) once the HTTP API and the core are stopped. Bad options raise
 * `GW_ERR_CONFIG`; an address that cannot be bound raises `GW_ERR_SIM_UNAVAILABLE`.
 */
export function addCoreCommand(program: Command, io: CliIo): void {
  program
    .command('core')
    .description('run a small LwM2M server for labs and tests: registration interface, Read/Write/Execute over CoAP/UDP, HTTP JSON API')
    .requiredOption('--listen <host:port>', 'CoAP/UDP address, e.g. 127.0.0.1:5683 (port 0 picks one)')
    .option('--http <host:port>', 'HTTP JSON API address (port 0 picks one)', '127.0.0.1:0')
    .option('--ack-timeout-ms <ms>', 'CoAP ACK_TIMEOUT (RFC 7252 §4.8)', '2000')
    .option('--ack-random-factor <factor>', 'CoAP ACK_RANDOM_FACTOR (≥ 1)', '1.5')
    .option('--max-retransmit <n>', 'CoAP MAX_RETRANSMIT', '4')
    .option('--response-timeout-ms <ms>', 'overall wait for the response to a downlink request', '60000')
    .action(async (options: CoreOptions) => {
      const { coap, http, ...timing } = coreSettings(options);
      const { LabCore, LabCoreHttpApi } = await import('../sim/core/index.ts');
      const core = await LabCore.start({ host: coap.host, port: coap.port, ...timing });
      let api: LabCoreHttpApi;
      try {
        api = await LabCoreHttpApi.start(core, http);
      } catch (error) {
        await core.stop();
        throw error;
      }
      core.on('registered', (client, replaced) => io.err(`${describeClient('registered', client)}${replaced === null ? '' : ` replaces=${replaced.location}`}`));
      core.on('updated', (client) => io.err(describeClient('updated', client)));
      core.on('deregistered', (client) => io.err(describeClient('deregistered', client)));
      core.on('expired', (client) => io.err(describeClient('expired', client)));
      io.json({ coap: formatHostPort(core.address), http: formatHostPort(api.address) });
      await io.untilStopped();
      await api.stop();
      await core.stop();
    });
}
