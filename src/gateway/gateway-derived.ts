/**
 * What the gateway derives from its configuration before it assembles the relay: the
 * admission's total limit, and the core's address (resolved when it is a host name).
 */
import { isIP } from 'node:net';
import { ADMISSION_POLICY_DEFAULTS } from '../bridge/admission-policy.ts';
import { CoreServerAddress } from '../bridge/core-server-address.ts';
import type { Logger } from '../log/index.ts';
import type { GatewayConfig } from './gateway-config.ts';

/**
 * The admission's total limit: as configured, but never more than the core-facing addresses
 * (bind addresses × ports), since
 * a registration beyond them would get no socket and its device no answer.
 */
export function totalRegistrations(config: GatewayConfig): number {
  const [min, max] = config.coreSockets.portRange;
  const addresses = (max - min + 1) * (config.coreSockets.bindHosts?.length ?? 1);
  return Math.min(config.udpAdmission?.maxRegistrations ?? ADMISSION_POLICY_DEFAULTS.maxRegistrations, addresses);
}

/** Builds and, for a host name, resolves the core server's address (see {@link CoreServerAddress}). */
export async function resolveCore(config: GatewayConfig, logger: Logger): Promise<CoreServerAddress> {
  const hosts = config.coreSockets.bindHosts ?? [config.coreSockets.bindHost ?? '0.0.0.0'];
  const family = hosts.every((host) => isIP(host) === 6) ? 6 : 4;
  const core = new CoreServerAddress(config.core.host, config.core.port, {
    family,
    onResolved: ({ addresses, error }) => {
      if (error) logger.error({ code: error.code, host: config.core.host }, `${error.message}; the core's datagrams are dropped until it resolves`);
      else logger.info({ host: config.core.host, addresses }, 'core host resolved');
    },
  });
  await core.resolve().catch(() => undefined); // logged by onResolved; retried by housekeeping
  return core;
}
