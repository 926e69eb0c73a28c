/**
 * Rules across keys that the schema cannot express: host names, port ranges, a capacity the
 * addresses × ports and the admission limit can hold, unique modem names, routes to groups that exist, a consistent sender policy, CIDR networks, the Redis URL, and at
 * most one source per secret. Pure: runs on a value the schema accepted.
 */
import { parseCidr } from '../bridge/admission-policy.ts';
import type { ConfigProblem } from './config-problems.ts';
import type { ConfigFile } from './config-schema.ts';
import { hostProblem } from './host-name.ts';
import { isRedisUrlProblem, parseRedisUrl } from './redis-url.ts';

const HOST_EXPECTED = 'an IPv4 or IPv6 address or a host name';

/** Every cross-key problem of `config`, in file order of the keys. */
export function configProblems(config: ConfigFile): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: ConfigProblem['path'], problem: string, expected: string): void => {
    problems.push({ path, problem, expected });
  };

  const url = parseRedisUrl(config.redis.url);
  if (isRedisUrlProblem(url)) add(['redis', 'url'], url.problem, 'redis://[user[:password]@]host[:port][/db] or rediss://…');
  else if (url.password !== null && (config.redis.passwordEnv !== null || config.redis.passwordFile !== null)) {
    add(['redis', config.redis.passwordEnv !== null ? 'passwordEnv' : 'passwordFile'], 'is set while redis.url holds a password too', 'one source of the password');
  }
  if (config.redis.passwordEnv !== null && config.redis.passwordFile !== null) {
    add(['redis', 'passwordFile'], 'is set together with passwordEnv', 'only one of passwordEnv and passwordFile');
  }
  problems.push(...adminProblems(config.admin));

  for (const [path, host] of [[['core', 'host'], config.core.host], [['udpListen', 'host'], config.udpListen.host], [['coreSockets', 'bindHost'], config.coreSockets.bindHost]] as const) {
    const issue = hostProblem(host);
    if (issue !== null) add(path, issue, HOST_EXPECTED);
  }
  if (config.coreSockets.firstPort > config.coreSockets.lastPort) {
    add(['coreSockets', 'lastPort'], 'is below firstPort', 'a port not below coreSockets.firstPort');
  }
  const bindHosts = new Set<string>();
  config.coreSockets.bindHosts.forEach((host, i) => {
    const issue = hostProblem(host) ?? (bindHosts.has(host) ? 'repeats an earlier address' : null);
    if (issue !== null) add(['coreSockets', 'bindHosts', i], issue, 'an address no other entry has');
    bindHosts.add(host);
  });
  const addresses = Math.max(1, bindHosts.size) * Math.max(0, config.coreSockets.lastPort - config.coreSockets.firstPort + 1);
  if (config.coreSockets.capacity > addresses) {
    add(['coreSockets', 'capacity'], `exceeds the ${addresses} addresses of bind addresses × ports`, 'at most (bind addresses) × (lastPort − firstPort + 1)');
  }
  // Every registration holds one core-facing socket and the admission stops at maxRegistrations:
  // a capacity above it could never be reached (the node would refuse every device beyond it).
  const { capacity } = config.coreSockets;
  const { maxRegistrations } = config.udpAdmission;
  if (capacity > maxRegistrations) {
    add(
      ['coreSockets', 'capacity'],
      `(${capacity}) exceeds udpAdmission.maxRegistrations (${maxRegistrations}): the node would refuse every device after ${maxRegistrations}`,
      `at most udpAdmission.maxRegistrations; to hold ${capacity} devices set udpAdmission.maxRegistrations: ${capacity} as well`,
    );
  }

  const names = new Set<string>();
  const paths = new Set<string>();
  config.modems.forEach((modem, i) => {
    if (names.has(modem.name)) add(['modems', i, 'name'], 'repeats the name of an earlier modem', 'a name no other modem has');
    names.add(modem.name);
    if (paths.has(modem.path)) add(['modems', i, 'path'], 'repeats the path of an earlier modem', 'a port no other modem uses');
    paths.add(modem.path);
    if (modem.path.startsWith('tcp://')) {
      const match = /^tcp:\/\/(.+):([0-9]{1,5})$/.exec(modem.path);
      const host = match?.[1]?.replace(/^\[(.*)\]$/, '$1') ?? '';
      const port = Number(match?.[2]);
      if (match === null || hostProblem(host) !== null || port < 1 || port > 65_535) add(['modems', i, 'path'], 'is not tcp://host:port', 'tcp://host:port with a port from 1 to 65535');
    }
    if (modem.pinEnv !== null && modem.pinFile !== null) add(['modems', i, 'pinFile'], 'is set together with pinEnv', 'only one of pinEnv and pinFile');
    if (modem.reopenMinDelayMs > modem.reopenMaxDelayMs) add(['modems', i, 'reopenMaxDelayMs'], 'is below reopenMinDelayMs', 'a delay not below reopenMinDelayMs');
  });

  config.deviceGroups.forEach((group, i) => {
    if (group.serverModem !== null && !names.has(group.serverModem)) {
      add(['deviceGroups', i, 'serverModem'], `names modem "${group.serverModem}", which is not configured`, `one of the modems' names: ${[...names].join(', ')}`);
    }
  });

  const groups = new Set(config.modems.flatMap((modem) => modem.groups));
  const prefixes = new Set<string>();
  config.routes.forEach((route, i) => {
    if (!groups.has(route.group)) add(['routes', i, 'group'], `names group "${route.group}", which no modem serves`, `one of the modems' groups: ${[...groups].join(', ')}`);
    const digits = route.prefix.replace(/^\+/, '');
    if (prefixes.has(digits)) add(['routes', i, 'prefix'], 'repeats the prefix of an earlier route', 'a prefix no other route has');
    prefixes.add(digits);
  });

  config.udpAdmission.allowedNetworks.forEach((network, i) => {
    try {
      parseCidr(network);
    } catch {
      add(['udpAdmission', 'allowedNetworks', i], 'is not a CIDR network', 'an address/prefix length such as 10.0.0.0/8 or 2001:db8::/32');
    }
  });

  const policy = config.senderPolicy;
  if (policy.mode === 'allowlist' && policy.entries.length === 0) {
    add(['senderPolicy', 'entries'], 'is empty in allowlist mode (every SMS would be dropped)', 'at least one number or prefix, or mode: open');
  }
  if (policy.mode === 'open' && policy.entries.length > 0) {
    add(['senderPolicy', 'mode'], 'is open while entries are listed (they would be ignored)', 'allowlist, or no entries');
  }
  return problems;
}

/** The admin API: one source per token, and a read-write token whenever it is enabled. */
function adminProblems(admin: ConfigFile['admin']): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (admin.tokenEnv !== null && admin.tokenFile !== null) problems.push({ path: ['admin', 'tokenFile'], problem: 'is set together with tokenEnv', expected: 'only one of tokenEnv and tokenFile' });
  if (admin.readOnlyTokenEnv !== null && admin.readOnlyTokenFile !== null) {
    problems.push({ path: ['admin', 'readOnlyTokenFile'], problem: 'is set together with readOnlyTokenEnv', expected: 'only one of readOnlyTokenEnv and readOnlyTokenFile' });
  }
  if (admin.enabled && admin.tokenEnv === null && admin.tokenFile === null) {
    problems.push({ path: ['admin', 'enabled'], problem: 'is true but no token is configured', expected: 'admin.tokenEnv or admin.tokenFile (the API never runs without a token)' });
  }
  for (const [path, host] of [[['admin', 'listen', 'host'], admin.listen.host], [['admin', 'metricsListen', 'host'], admin.metricsListen.host]] as const) {
    const issue = hostProblem(host);
    if (issue !== null) problems.push({ path, problem: issue, expected: HOST_EXPECTED });
  }
  return problems;
}
