/**
 * From the loaded configuration file (src/config) to the {@link GatewayConfig} the gateway is
 * started with.
 */
import { formatRedisUrl, isRedisUrlProblem, parseRedisUrl, type Config } from '../config/index.ts';
import { GatewayError } from '../shared/errors.ts';
import type { GatewayConfig } from './gateway-config.ts';

/**
 * Maps a loaded {@link Config} to the gateway's {@link GatewayConfig}. Pure. The Redis password
 * (from the URL, the environment or a file) is merged into `redisUrl`, so that URL is a secret:
 * log `redactConfig(config)` instead. Modem PINs are carried as `pin`.
 *
 * @throws GatewayError `GW_ERR_CONFIG` only when `config` did not come from the loader (its
 *   Redis URL is invalid).
 */
export function toGatewayConfig(config: Config): GatewayConfig {
  const url = parseRedisUrl(config.redis.url);
  if (isRedisUrlProblem(url)) throw new GatewayError('GW_ERR_CONFIG', `redis.url ${url.problem}`, { key: 'redis.url' });
  return {
    redisUrl: formatRedisUrl({ ...url, password: config.redis.password }),
    redisPrefix: config.redis.prefix,
    core: { host: config.core.host, port: config.core.port },
    udpListen: { host: config.udpListen.host, port: config.udpListen.port },
    coreSockets: {
      bindHost: config.coreSockets.bindHost, portRange: [config.coreSockets.firstPort, config.coreSockets.lastPort],
      ...(config.coreSockets.bindHosts.length > 0 ? { bindHosts: [...config.coreSockets.bindHosts] } : {}),
      ...(config.coreSockets.capacity > 0 ? { capacity: config.coreSockets.capacity } : {}),
    },
    modems: config.modems.map((modem) => ({
      name: modem.name,
      path: modem.path,
      baudRate: modem.baudRate,
      pin: modem.pin,
      smsc: modem.smsc,
      profile: modem.profile,
      simWaitMs: modem.simWaitMs,
      registrationWaitMs: modem.registrationWaitMs,
      watchdogIntervalMs: modem.watchdogIntervalMs,
      sweepIntervalMs: modem.sweepIntervalMs,
      receiveRoute: modem.receiveRoute,
      storedRead: modem.storedRead,
      escalateAfterErrors: modem.escalateAfterErrors,
      blockAfterErrors: modem.blockAfterErrors,
      blockTimeMs: modem.blockTimeMs,
      presenceCheckIntervalMs: modem.presenceCheckIntervalMs,
      reopenMinDelayMs: modem.reopenMinDelayMs,
      reopenMaxDelayMs: modem.reopenMaxDelayMs,
      groups: modem.groups,
      maxPartsPerSec: modem.maxPartsPerSec,
    })),
    routes: config.routes.map((route) => ({ prefix: route.prefix, group: route.group })),
    senderPolicy: config.senderPolicy.mode === 'open' ? { mode: 'open' } : { mode: 'allowlist', entries: config.senderPolicy.entries },
    awakeWindowMs: config.awakeWindowMs,
    reassemblyTimeoutSec: config.reassemblyTimeoutSec,
    maintenanceIntervalMs: config.maintenanceIntervalMs,
    profilesDir: config.profilesDir,
    udpAdmission: {
      allowedNetworks: config.udpAdmission.allowedNetworks,
      endpointPatterns: config.udpAdmission.endpointPatterns,
      maxRegistrationsPerSource: config.udpAdmission.maxRegistrationsPerSource,
      maxRegistrations: config.udpAdmission.maxRegistrations,
      udpAddressChange: config.udpAdmission.udpAddressChange,
    },
    wakeup: { ...config.wakeup, groups: { ...config.wakeup.groups } },
    outboundSms: { ...config.outboundSms },
    heldRequests: { ttlMs: config.heldRequests.ttlMs, maxPerDevice: config.heldRequests.maxPerDevice, maxTotal: config.heldRequests.maxTotal },
    deviceGroups: config.deviceGroups.map((group) => ({
      name: group.name, endpoints: group.endpoints, msisdnPrefixes: group.msisdnPrefixes,
      ...(group.serverModem === null ? {} : { serverModem: group.serverModem }),
      ...(group.heldRequestTtlMs === null ? {} : { heldRequestTtlMs: group.heldRequestTtlMs }),
      ...(group.asleepRequests === 'sms' ? {} : { asleepRequests: group.asleepRequests }),
      ...(group.smsBudgetPerDay === null ? {} : { smsBudgetPerDay: group.smsBudgetPerDay }),
      ...(group.smsBudgetPerDevicePerDay === null ? {} : { smsBudgetPerDevicePerDay: group.smsBudgetPerDevicePerDay }),
    })),
    smsBudget: { ...config.smsBudget },
    registrationLimits: {
      maxEndpointNameBytes: config.registration.maxEndpointNameBytes,
      maxLifetimeSec: config.registration.maxLifetimeSec,
      registerAnswerTimeoutMs: config.registration.registerAnswerTimeoutMs,
    },
    floodLimits: { ...config.floodLimits },
  };
}
