/**
 * Rules across keys that the schema cannot express: host names, port ranges, a capacity the
 * addresses × ports and the admission limit can hold, unique modem names, routes to groups that exist, a consistent sender policy, CIDR networks, the Redis URL, and at
 * most one source per secret. Pure: each check runs on the values of its keys the schema accepted.
 */
import { parseCidr } from '../bridge/admission-policy.ts';
import type { ConfigProblem, KeyPath } from './config-problems.ts';
import type { ConfigFile } from './config-schema.ts';
import { hostProblem } from './host-name.ts';
import { isRedisUrlProblem, parseRedisUrl } from './redis-url.ts';

const HOST_EXPECTED = 'an IPv4 or IPv6 address or a host name';

/**
 * Every cross-key problem of `config`, in file order of the keys. `valid` says which values the
 * schema accepted (default: all of them): a check runs only when every value it reads is valid,
 * so the problems of a file the schema rejects are listed together with the cross-key ones (each
 * check on its own; one whose inputs are invalid is skipped). Never reads a value `valid` rejects.
 */
export function configProblems(config: ConfigFile, valid: (path: KeyPath) => boolean = () => true): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: ConfigProblem['path'], problem: string, expected: string): void => {
    problems.push({ path, problem, expected });
  };
  const ok = (...paths: KeyPath[]): boolean => paths.every((path) => valid(path));
  if (!ok([])) return problems; // not a mapping: nothing to check across keys

  if (ok(['redis', 'url'])) {
    const url = parseRedisUrl(config.redis.url);
    if (isRedisUrlProblem(url)) add(['redis', 'url'], url.problem, 'redis://[user[:password]@]host[:port][/db] or rediss://…');
    else if (ok(['redis', 'passwordEnv'], ['redis', 'passwordFile']) && url.password !== null && (config.redis.passwordEnv !== null || config.redis.passwordFile !== null)) {
      add(['redis', config.redis.passwordEnv !== null ? 'passwordEnv' : 'passwordFile'], 'is set while redis.url holds a password too', 'one source of the password');
    }
  }
  if (ok(['redis', 'passwordEnv'], ['redis', 'passwordFile']) && config.redis.passwordEnv !== null && config.redis.passwordFile !== null) {
    add(['redis', 'passwordFile'], 'is set together with passwordEnv', 'only one of passwordEnv and passwordFile');
  }
  problems.push(...adminProblems(config, ok));

  const hosts: readonly [KeyPath, () => string][] = [
    [['core', 'host'], () => config.core.host], [['udpListen', 'host'], () => config.udpListen.host], [['coreSockets', 'bindHost'], () => config.coreSockets.bindHost],
  ];
  for (const [path, host] of hosts) {
    const issue = ok(path) ? hostProblem(host()) : null;
    if (issue !== null) add(path, issue, HOST_EXPECTED);
  }
  problems.push(...socketProblems(config, ok));

  const names = new Set<string>();
  const paths = new Set<string>();
  // The modems' names and groups, complete only when every modem's are valid.
  let namesComplete = ok(['modems']);
  let groupsComplete = namesComplete;
  const groups = new Set<string>();
  (ok(['modems']) ? config.modems : []).forEach((modem, i) => {
    const at = (key: string): KeyPath => ['modems', i, key];
    if (!ok(at('name'))) namesComplete = false;
    else {
      if (names.has(modem.name)) add(at('name'), 'repeats the name of an earlier modem', 'a name no other modem has');
      names.add(modem.name);
    }
    if (!ok(at('groups'))) groupsComplete = false;
    else for (const group of modem.groups) groups.add(group);
    if (ok(at('path'))) {
      if (paths.has(modem.path)) add(at('path'), 'repeats the path of an earlier modem', 'a port no other modem uses');
      paths.add(modem.path);
      if (modem.path.startsWith('tcp://')) {
        const match = /^tcp:\/\/(.+):([0-9]{1,5})$/.exec(modem.path);
        const host = match?.[1]?.replace(/^\[(.*)\]$/, '$1') ?? '';
        const port = Number(match?.[2]);
        if (match === null || hostProblem(host) !== null || port < 1 || port > 65_535) add(at('path'), 'is not tcp://host:port', 'tcp://host:port with a port from 1 to 65535');
      }
    }
    if (ok(at('pinEnv'), at('pinFile')) && modem.pinEnv !== null && modem.pinFile !== null) add(at('pinFile'), 'is set together with pinEnv', 'only one of pinEnv and pinFile');
    if (ok(at('reopenMinDelayMs'), at('reopenMaxDelayMs')) && modem.reopenMinDelayMs > modem.reopenMaxDelayMs) add(at('reopenMaxDelayMs'), 'is below reopenMinDelayMs', 'a delay not below reopenMinDelayMs');
  });

  (namesComplete && ok(['deviceGroups']) ? config.deviceGroups : []).forEach((group, i) => {
    if (ok(['deviceGroups', i, 'serverModem']) && group.serverModem !== null && !names.has(group.serverModem)) {
      add(['deviceGroups', i, 'serverModem'], `names modem "${group.serverModem}", which is not configured`, `one of the modems' names: ${[...names].join(', ')}`);
    }
  });

  const prefixes = new Set<string>();
  (ok(['routes']) ? config.routes : []).forEach((route, i) => {
    if (groupsComplete && ok(['routes', i, 'group']) && !groups.has(route.group)) {
      add(['routes', i, 'group'], `names group "${route.group}", which no modem serves`, `one of the modems' groups: ${[...groups].join(', ')}`);
    }
    if (!ok(['routes', i, 'prefix'])) return;
    const digits = route.prefix.replace(/^\+/, '');
    if (prefixes.has(digits)) add(['routes', i, 'prefix'], 'repeats the prefix of an earlier route', 'a prefix no other route has');
    prefixes.add(digits);
  });

  (ok(['udpAdmission', 'allowedNetworks']) ? config.udpAdmission.allowedNetworks : []).forEach((network, i) => {
    if (!ok(['udpAdmission', 'allowedNetworks', i])) return;
    try {
      parseCidr(network);
    } catch {
      add(['udpAdmission', 'allowedNetworks', i], 'is not a CIDR network', 'an address/prefix length such as 10.0.0.0/8 or 2001:db8::/32');
    }
  });

  if (ok(['senderPolicy', 'mode'], ['senderPolicy', 'entries'])) {
    const policy = config.senderPolicy;
    if (policy.mode === 'allowlist' && policy.entries.length === 0) {
      add(['senderPolicy', 'entries'], 'is empty in allowlist mode (every SMS would be dropped)', 'at least one number or prefix, or mode: open');
    }
    if (policy.mode === 'open' && policy.entries.length > 0) {
      add(['senderPolicy', 'mode'], 'is open while entries are listed (they would be ignored)', 'allowlist, or no entries');
    }
  }
  return problems;
}

/** The core-facing sockets: a port range, distinct bind addresses, a capacity they and the admission can hold. */
function socketProblems(config: ConfigFile, ok: (...paths: KeyPath[]) => boolean): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: KeyPath, problem: string, expected: string): void => void problems.push({ path, problem, expected });
  const sockets = config.coreSockets;
  const range = ok(['coreSockets', 'firstPort'], ['coreSockets', 'lastPort']);
  if (range && sockets.firstPort > sockets.lastPort) add(['coreSockets', 'lastPort'], 'is below firstPort', 'a port not below coreSockets.firstPort');
  const bindHosts = new Set<string>();
  let hostsComplete = ok(['coreSockets', 'bindHosts']);
  (hostsComplete ? sockets.bindHosts : []).forEach((host, i) => {
    if (!ok(['coreSockets', 'bindHosts', i])) {
      hostsComplete = false;
      return;
    }
    const issue = hostProblem(host) ?? (bindHosts.has(host) ? 'repeats an earlier address' : null);
    if (issue !== null) add(['coreSockets', 'bindHosts', i], issue, 'an address no other entry has');
    bindHosts.add(host);
  });
  if (!ok(['coreSockets', 'capacity'])) return problems;
  const { capacity } = sockets;
  const addresses = Math.max(1, bindHosts.size) * Math.max(0, sockets.lastPort - sockets.firstPort + 1);
  if (range && hostsComplete && capacity > addresses) {
    add(['coreSockets', 'capacity'], `exceeds the ${addresses} addresses of bind addresses × ports`, 'at most (bind addresses) × (lastPort − firstPort + 1)');
  }
  // Every registration holds one core-facing socket and the admission stops at maxRegistrations:
  // a capacity above it could never be reached (the node would refuse every device beyond it).
  if (!ok(['udpAdmission', 'maxRegistrations'])) return problems;
  const { maxRegistrations } = config.udpAdmission;
  if (capacity > maxRegistrations) {
    add(
      ['coreSockets', 'capacity'],
      `(${capacity}) exceeds udpAdmission.maxRegistrations (${maxRegistrations}): the node would refuse every device after ${maxRegistrations}`,
      `at most udpAdmission.maxRegistrations; to hold ${capacity} devices set udpAdmission.maxRegistrations: ${capacity} as well`,
    );
  }
  return problems;
}

/** The admin API: one source per token, and a read-write token whenever it is enabled. */
function adminProblems(config: ConfigFile, ok: (...paths: KeyPath[]) => boolean): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { admin } = config;
  const at = (key: string): KeyPath => ['admin', key];
  if (ok(at('tokenEnv'), at('tokenFile')) && admin.tokenEnv !== null && admin.tokenFile !== null) {
    problems.push({ path: at('tokenFile'), problem: 'is set together with tokenEnv', expected: 'only one of tokenEnv and tokenFile' });
  }
  if (ok(at('readOnlyTokenEnv'), at('readOnlyTokenFile')) && admin.readOnlyTokenEnv !== null && admin.readOnlyTokenFile !== null) {
    problems.push({ path: at('readOnlyTokenFile'), problem: 'is set together with readOnlyTokenEnv', expected: 'only one of readOnlyTokenEnv and readOnlyTokenFile' });
  }
  if (ok(at('enabled'), at('tokenEnv'), at('tokenFile')) && admin.enabled && admin.tokenEnv === null && admin.tokenFile === null) {
    problems.push({ path: at('enabled'), problem: 'is true but no token is configured', expected: 'admin.tokenEnv or admin.tokenFile (the API never runs without a token)' });
  }
  for (const listener of ['listen', 'metricsListen'] as const) {
    const path: KeyPath = ['admin', listener, 'host'];
    const issue = ok(path) ? hostProblem(admin[listener].host) : null;
    if (issue !== null) problems.push({ path, problem: issue, expected: HOST_EXPECTED });
  }
  return problems;
}
