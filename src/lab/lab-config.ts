/**
 * The lab's gateway configuration as a YAML file, loaded by the same loader and mapped by the
 * same function as `smsbridge run --config`: the demo and the end-to-end tests run the gateway
 * exactly as a sysadmin does, with simulated hardware at the paths and ports the file names.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../config/index.ts';
import { toGatewayConfig } from '../gateway/config-to-gateway.ts';
import type { GatewayConfig } from '../gateway/gateway-config.ts';

/** What the lab's configuration file points at. */
export interface LabConfigTargets {
  readonly redisUrl: string;
  readonly core: { readonly host: string; readonly port: number };
  /** Link paths of the simulated modems, in order (named modem-1, modem-2, …). */
  readonly modemPaths: readonly string[];
}

/** The lab's configuration file: the keys `config/example-lab.yaml` documents, with the lab's ports. */
export function labConfigYaml(targets: LabConfigTargets): string {
  const modems = targets.modemPaths.map((path, i) => `  - name: modem-${i + 1}\n    path: ${JSON.stringify(path)}\n    groups: [all]\n`).join('');
  return [
    '# Written by the lab (smsbridge demo): `smsbridge run --config <this file>` starts the same gateway.',
    'redis:',
    `  url: ${JSON.stringify(targets.redisUrl)}`,
    '  prefix: "smsbridge:"',
    'core:',
    `  host: ${JSON.stringify(targets.core.host)}`,
    `  port: ${targets.core.port}`,
    'udpListen:',
    '  host: 127.0.0.1',
    '  port: 0',
    'coreSockets:',
    '  bindHost: 127.0.0.1',
    '  firstPort: 40000',
    '  lastPort: 49999',
    'modems:',
    modems.trimEnd(),
    'senderPolicy:',
    '  mode: open',
    'awakeWindowMs: 93000',
    'reassemblyTimeoutSec: 600',
    'maintenanceIntervalMs: 1000',
    '',
  ].join('\n');
}

/**
 * Writes the lab's configuration file into `dir` and loads it as `run` does.
 * @returns the file's path and the gateway configuration it gives.
 */
export async function writeLabConfig(dir: string, targets: LabConfigTargets): Promise<{ path: string; config: GatewayConfig }> {
  const path = join(dir, 'gateway.yaml');
  const text = labConfigYaml(targets);
  await writeFile(path, text, { mode: 0o600 }); // the Redis URL may carry a password
  return { path, config: toGatewayConfig(parseConfig(text, { file: path, env: {}, baseDir: dir })) };
}
