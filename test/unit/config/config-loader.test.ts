/**
 * The configuration loader (src/config): good files, every kind of bad value located by key
 * path, line and column, unknown keys, several problems at once, YAML-level failures.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config, type LocatedProblem, type ParseConfigOptions } from '../../../src/config/index.ts';
import { GatewayError } from '../../../src/shared/errors.ts';

const REPO = new URL('../../../', import.meta.url);
const MINIMAL = 'core:\n  host: 127.0.0.1\nmodems:\n  - name: m1\n    path: /dev/ttyUSB2\n';

function load(text: string, options: Partial<ParseConfigOptions> = {}): Config {
  return parseConfig(text, { file: 'test.yaml', env: {}, baseDir: '/etc/smsbridge', ...options });
}

/** The GW_ERR_CONFIG error `text` raises, with its problems. */
function failure(text: string, options: Partial<ParseConfigOptions> = {}): { error: GatewayError; problems: LocatedProblem[] } {
  try {
    load(text, options);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    const typed = error as GatewayError;
    expect(typed.code).toBe('GW_ERR_CONFIG');
    return { error: typed, problems: typed.details['problems'] as LocatedProblem[] };
  }
  throw new Error(`expected GW_ERR_CONFIG for:\n${text}`);
}

/** The one problem `text` has. */
function onlyProblem(text: string, options: Partial<ParseConfigOptions> = {}): LocatedProblem {
  const { error, problems } = failure(text, options);
  expect(problems, JSON.stringify(problems)).toHaveLength(1);
  const [problem] = problems;
  expect(error.details).toMatchObject({ key: problem?.key, line: problem?.line, column: problem?.column, expected: problem?.expected });
  expect(error.message).toBe(`test.yaml:${problem?.line}:${problem?.column}: ${problem?.key} ${problem?.problem}; expected ${problem?.expected}`);
  return problem as LocatedProblem;
}

describe('good files', () => {
  it('fills every default around the required keys and freezes the result', () => {
    const config = load(MINIMAL);
    expect(config.core).toEqual({ host: '127.0.0.1', port: 5683 });
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'smsbridge:', passwordEnv: null, passwordFile: null, password: null });
    expect(config.modems[0]).toMatchObject({ name: 'm1', path: '/dev/ttyUSB2', groups: ['default'], maxPartsPerSec: 0, pin: null, baudRate: 115_200, blockTimeMs: 3_600_000 });
    expect(config.log.level).toBe('info');
    expect(config.senderPolicy).toEqual({ mode: 'open', entries: [] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.modems[0]?.groups)).toBe(true);
    expect(Object.isFrozen(config.redis)).toBe(true);
  });

  it('does not share default objects between loads', () => {
    const a = load(MINIMAL);
    const b = load(MINIMAL);
    expect(a.modems[0]?.groups).not.toBe(b.modems[0]?.groups);
  });

  it('loads the lab example', () => {
    const config = load(readFileSync(new URL('config/example-lab.yaml', REPO), 'utf8'));
    expect(config.core).toEqual({ host: '127.0.0.1', port: 5783 });
    expect(config.modems.map((modem) => modem.path)).toEqual(['/tmp/smsbridge-lab/ttyModem0', '/tmp/smsbridge-lab/ttyModem1']);
    expect(config.redis.url).toBe('redis://127.0.0.1:6390');
  });

  it('loads the production example with its secrets from the environment and files', () => {
    const files: Record<string, string> = {
      '/run/credentials/lwm2m-sms-bridge.service/redis-password': 's3cret pass\n',
      '/run/credentials/lwm2m-sms-bridge.service/modem-b-pin': '0000\n',
    };
    const config = load(readFileSync(new URL('config/example-production.yaml', REPO), 'utf8'), {
      env: { MODEM_A_PIN: '4321' },
      readSecretFile: (path) => {
        const text = files[path];
        if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
        return text;
      },
    });
    expect(config.core.host).toBe('lwm2m.example.net');
    expect(config.redis.password).toBe('s3cret pass');
    expect(config.modems.map((modem) => [modem.name, modem.groups, modem.pin])).toEqual([['modem-a', ['domestic'], '4321'], ['modem-b', ['roaming'], '0000']]);
    expect(config.routes).toEqual([{ prefix: '+49', group: 'domestic' }, { prefix: '', group: 'roaming' }]);
    expect(config.senderPolicy).toEqual({ mode: 'allowlist', entries: ['+4917012345*', '+491521234567'] });
  });

  it('accepts a core given by host name, IPv6 addresses and tcp:// modems', () => {
    const config = load('core: {host: leshan.example.net}\nudpListen: {host: "::"}\nmodems:\n  - {name: m1, path: "tcp://[::1]:7001"}\n  - {name: m2, path: "tcp://modem.lan:23"}\n');
    expect(config.core.host).toBe('leshan.example.net');
    expect(config.udpListen.host).toBe('::');
  });

  it('resolves relative paths against the config file\'s folder', () => {
    const config = load(`${MINIMAL}profilesDir: profiles\n`);
    expect(config.profilesDir).toBe('/etc/smsbridge/profiles');
  });
});

describe('bad values name the key, its line and column, and what was expected', () => {
  it('a value of the wrong type', () => {
    expect(onlyProblem('core:\n  host: 127.0.0.1\n  port: fifty\nmodems: [{name: m1, path: /dev/x}]\n')).toEqual({
      key: 'core.port', line: 3, column: 9, problem: 'is invalid (found a string)', expected: 'an integer from 1 to 65535',
    });
  });

  it('a number out of range', () => {
    expect(onlyProblem(`${MINIMAL}udpListen:\n  port: 70000\n`)).toMatchObject({ key: 'udpListen.port', line: 7, column: 9, problem: 'is out of range', expected: 'an integer from 0 to 65535' });
  });

  it('a fraction where a whole number belongs', () => {
    expect(onlyProblem(`${MINIMAL}awakeWindowMs: 1.5\n`)).toMatchObject({ key: 'awakeWindowMs', line: 6, column: 16, problem: 'is not a whole number' });
  });

  it('a word outside an enumeration', () => {
    expect(onlyProblem(`${MINIMAL}log:\n  level: verbose\n`)).toMatchObject({ key: 'log.level', line: 7, column: 10, expected: 'one of fatal, error, warn, info, debug, trace, silent' });
  });

  it('a modem path that is not absolute, in the second modem', () => {
    const text = 'core: {host: 127.0.0.1}\nmodems:\n  - name: a\n    path: /dev/ttyUSB0\n  - name: b\n    path: ttyUSB1\n';
    expect(onlyProblem(text)).toEqual({
      key: 'modems[1].path', line: 6, column: 11, problem: 'does not have an allowed form', expected: 'an absolute device path (/dev/serial/by-id/…) or tcp://host:port',
    });
  });

  it('a missing required key points at its parent', () => {
    expect(onlyProblem('core:\n  port: 5683\nmodems: [{name: m1, path: /dev/x}]\n')).toMatchObject({ key: 'core.host', line: 2, column: 3, problem: 'is missing' });
    expect(onlyProblem('core: {host: h}\n')).toMatchObject({ key: 'modems', line: 1, column: 1, problem: 'is missing', expected: 'a list of at least 1 item' });
    expect(onlyProblem('core: {host: h}\nmodems: []\n')).toMatchObject({ key: 'modems', line: 2, column: 9, problem: 'has too few or too many items' });
  });

  it('an empty value where a section belongs', () => {
    expect(onlyProblem(`${MINIMAL}redis:\n`)).toMatchObject({ key: 'redis', line: 6, column: 7, problem: 'is invalid (found null (empty))' });
  });

  it('an empty file or a file that is not a mapping', () => {
    // The new-user trial: an empty file listed all 21 top-level keys as "expected".
    const needed = 'at least core.host (an IPv4 or IPv6 address or a host name) and modems (a list of at least 1 item, each with name and path); every other key has a default (smsbridge config print-defaults)';
    for (const empty of ['', '# nothing yet\n', '---\n', 'null\n']) {
      const { error, problems } = failure(empty);
      expect(problems).toEqual([{ key: '(file)', line: null, column: null, problem: 'is empty (no keys)', expected: needed }]);
      expect(error.message).toBe(`test.yaml: (file) is empty (no keys); expected ${needed}`);
    }
    expect(onlyProblem('- a\n- b\n')).toMatchObject({ key: '(top level)', line: 1, column: 1, problem: 'is invalid (found a list)' });
  });

  it('an unknown key, with a suggestion for a typo', () => {
    expect(onlyProblem(`${MINIMAL}redis:\n  prefx: "x:"\n`)).toEqual({
      key: 'redis.prefx', line: 7, column: 3, problem: 'is not a known key (did you mean prefix?)', expected: 'one of the keys url, prefix, passwordEnv, passwordFile',
    });
    expect(onlyProblem(`${MINIMAL}colour: blue\n`)).toMatchObject({ key: 'colour', line: 6, column: 1, problem: 'is not a known key' });
  });

  it('a typo of a required key is one problem, at the typo, saying the key is missing and what was found instead', () => {
    // The new-user trial: `modem:` for `modems:` headlined "modems is missing" at 1:1, the typo second.
    const text = 'core:\n  host: 127.0.0.1\nmodem:\n  - name: m1\n    path: /dev/ttyUSB2\n';
    const { error, problems } = failure(text);
    expect(problems).toEqual([{ key: 'modems', line: 3, column: 1, problem: 'is missing (found modem instead: did you mean modems?)', expected: 'a list of at least 1 item' }]);
    expect(error.message).toBe('test.yaml:3:1: modems is missing (found modem instead: did you mean modems?); expected a list of at least 1 item');
    // Two typos of one key: the first is folded, the second stays an unknown key.
    expect(failure(`${text}modemz: []\n`).problems.map((p) => [p.key, p.line])).toEqual([['modems', 3], ['modemz', 6]]);
    // A typo of a key that is not missing stays as it was.
    expect(onlyProblem(`${MINIMAL}modem: []\n`)).toMatchObject({ key: 'modem', line: 6, problem: 'is not a known key (did you mean modems?)' });
  });

  it('__proto__ is an unknown key like any other, never a prototype', () => {
    const { problems } = failure('__proto__: {core: {host: h}, modems: [{name: a, path: /dev/a}]}\n');
    expect(problems.map((p) => [p.key, p.problem])).toEqual([['core', 'is missing'], ['modems', 'is missing'], ['__proto__', 'is not a known key']]);
  });

  it('a literal secret is an unknown key that points to the Env and File keys, and its value is never echoed', () => {
    const { error, problems } = failure('core: {host: h}\nmodems:\n  - name: m1\n    path: /dev/x\n    pin: 9876\n');
    expect(problems).toEqual([{
      key: 'modems[0].pin', line: 5, column: 5, problem: 'is not a known key: secrets never appear in the file, only where to find them (pinEnv or pinFile)',
      expected: expect.stringContaining('pinEnv') as unknown as string,
    }]);
    expect(JSON.stringify(error.toJSON())).not.toContain('9876');
  });

  it('several problems: all listed in file order, the first in the message; the cross-key ones too, where their keys are valid', () => {
    const text = 'log: {level: loud}\ncore:\n  host: "bad host!"\n  port: 0\nmodems:\n  - {name: a, path: /dev/a, baudRate: 9600.5}\n  - {name: a, path: /dev/b}\n';
    const { error, problems } = failure(text);
    expect(problems.map((p) => [p.key, p.line, p.column])).toEqual([
      ['log.level', 1, 14], ['core.host', 3, 9], ['core.port', 4, 9], ['modems[0].baudRate', 6, 39], ['modems[1].name', 7, 12],
    ]);
    expect(error.message).toMatch(/^test\.yaml:1:14: log\.level .* \(and 4 more problems\)$/);
  });

  it('a cross-key check whose keys the schema rejected is skipped; the others still run', () => {
    // The new-user trial's file: one schema problem, two cross-key problems, all in one run.
    const text = 'core: {host: h}\nmodems:\n  - {name: a, path: /dev/ttyUSB2}\n  - {name: a, path: dev/ttyUSB3}\nadmin: {enabled: true}\n';
    expect(failure(text).problems.map((p) => `${p.key} ${p.problem}`)).toEqual([
      'modems[1].name repeats the name of an earlier modem', 'modems[1].path does not have an allowed form', 'admin.enabled is true but no token is configured',
    ]);
    // Invalid inputs: no duplicate check against a bad name, no range check on a bad port, no route check while a modem's groups are bad.
    const skipped = [
      'core: {host: h}',
      'coreSockets: {firstPort: 5000, lastPort: x}',
      'modems:',
      '  - {name: "a!", path: /dev/a}',
      '  - {name: "a!", path: /dev/b, groups: 7}',
      'routes: [{prefix: "", group: nowhere}]',
      'admin: {enabled: yes-please}',
      '',
    ].join('\n');
    expect(failure(skipped).problems.map((p) => p.key)).toEqual(['coreSockets.lastPort', 'modems[0].name', 'modems[1].name', 'modems[1].groups', 'admin.enabled']);
  });

  it('cross-key problems, all at once (secrets are read once the shape is right)', () => {
    const text = [
      'core: {host: "bad host!"}',
      'coreSockets: {firstPort: 5000, lastPort: 4000}',
      'modems:',
      '  - {name: a, path: /dev/a, groups: [x], reopenMinDelayMs: 10, reopenMaxDelayMs: 5}',
      '  - {name: a, path: /dev/a, pinEnv: P, pinFile: /p}',
      '  - {name: c, path: "tcp://nohost"}',
      'routes: [{prefix: "+49", group: y}, {prefix: "49", group: x}]',
      'senderPolicy: {mode: allowlist}',
      'udpAdmission: {allowedNetworks: [10.0.0.0/8, 10.0.0.0/33, "::/0", banana]}',
      '',
    ].join('\n');
    const { problems } = failure(text);
    expect(problems.map((p) => [p.key, p.line])).toEqual([
      ['core.host', 1], ['coreSockets.lastPort', 2], ['modems[0].reopenMaxDelayMs', 4], ['modems[1].name', 5], ['modems[1].path', 5],
      ['modems[1].pinEnv', 5], ['modems[1].pinFile', 5], ['modems[2].path', 6], ['routes[0].group', 7], ['routes[1].prefix', 7], ['senderPolicy.entries', 8],
      ['udpAdmission.allowedNetworks[1]', 9], ['udpAdmission.allowedNetworks[3]', 9],
    ]);
    expect(problems.find((p) => p.key === 'routes[0].group')?.problem).toBe('names group "y", which no modem serves');
  });

  it('a device group\'s server modem must be a configured modem', () => {
    expect(onlyProblem(`${MINIMAL}deviceGroups: [{name: t, endpoints: ["t-*"], serverModem: nope}]\n`)).toMatchObject({ key: 'deviceGroups[0].serverModem' });
  });

  it('core-facing bind addresses: each an address, none twice, and a capacity the addresses × ports can hold', () => {
    expect(onlyProblem(`${MINIMAL}coreSockets: {bindHosts: [10.0.0.11, 10.0.0.12, 10.0.0.11]}\n`)).toMatchObject({ key: 'coreSockets.bindHosts[2]', problem: 'repeats an earlier address' });
    expect(onlyProblem(`${MINIMAL}coreSockets: {bindHosts: [10.0.0.11, "bad host!"]}\n`)).toMatchObject({ key: 'coreSockets.bindHosts[1]' });
    expect(onlyProblem(`${MINIMAL}coreSockets: {bindHosts: [10.0.0.11, 10.0.0.12], firstPort: 10000, lastPort: 10009, capacity: 21}\n`))
      .toMatchObject({ key: 'coreSockets.capacity', problem: 'exceeds the 20 addresses of bind addresses × ports' });
    expect(load(`${MINIMAL}coreSockets: {bindHosts: [10.0.0.11, 10.0.0.12], firstPort: 10000, lastPort: 10009, capacity: 20}\n`).coreSockets.capacity).toBe(20);
  });

  it('a capacity above the admission limit (udpAdmission.maxRegistrations) is refused, naming both keys and the fix', () => {
    // The defaults hold 10,000 registrations: a node configured for 30,000 would refuse every device after 10,000.
    const wide = 'coreSockets: {bindHosts: [10.0.0.11, 10.0.0.12, 10.0.0.13], firstPort: 10000, lastPort: 19999, capacity: 30000}\n';
    const problem = onlyProblem(`${MINIMAL}${wide}`);
    expect(problem).toMatchObject({
      key: 'coreSockets.capacity', line: 6,
      problem: '(30000) exceeds udpAdmission.maxRegistrations (10000): the node would refuse every device after 10000',
      expected: 'at most udpAdmission.maxRegistrations; to hold 30000 devices set udpAdmission.maxRegistrations: 30000 as well',
    });
    expect(onlyProblem(`${MINIMAL}${wide}udpAdmission: {maxRegistrations: 29999}\n`)).toMatchObject({ key: 'coreSockets.capacity' });
    expect(load(`${MINIMAL}${wide}udpAdmission: {maxRegistrations: 30000}\n`).coreSockets.capacity).toBe(30_000);
    expect(load(`${MINIMAL}${wide}udpAdmission: {maxRegistrations: 100000}\n`).udpAdmission.maxRegistrations).toBe(100_000);
  });

  it('an open policy with entries is refused (they would be ignored)', () => {
    expect(onlyProblem(`${MINIMAL}senderPolicy: {entries: ["+49"]}\n`)).toMatchObject({ key: 'senderPolicy.mode' });
  });
});

describe('the Redis URL', () => {
  const bad = (url: string): LocatedProblem => onlyProblem(`${MINIMAL}redis:\n  url: "${url}"\n`);

  it('accepts redis:// and rediss:// with user, password and database', () => {
    expect(load(`${MINIMAL}redis: {url: "rediss://u:p%40ss@redis.example.net:6380/3"}\n`).redis.password).toBe('p@ss');
    expect(load(`${MINIMAL}redis: {url: "redis://[::1]"}\n`).redis.password).toBeNull();
  });

  it('refuses other schemes, query strings, bad databases, bad hosts, port 0 and malformed escapes', () => {
    expect(bad('http://127.0.0.1:6379')).toMatchObject({ key: 'redis.url', line: 7, column: 8, problem: 'has scheme "http:"' });
    expect(bad('127.0.0.1:6379').problem).toBe('is not a URL');
    expect(bad('not a url').problem).toBe('is not a URL');
    expect(bad('redis://h/1?db=2').problem).toMatch(/query/);
    expect(bad('redis://h/x').problem).toBe('has a path that is not a database number');
    expect(bad('redis://bad_host').problem).toMatch(/^has a host that/);
    expect(bad('redis://h:0').problem).toBe('has port 0');
    expect(bad('redis://u:%zz@h').problem).toMatch(/malformed %-escape/);
  });

  it('never repeats a URL, which may hold a password', () => {
    const { error } = failure(`${MINIMAL}redis:\n  url: "http://user:hunter2@h"\n`);
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2');
  });
});

describe('YAML-level failures', () => {
  it('a syntax error with its line and column', () => {
    const { problems } = failure('core:\n  host: "unterminated\nmodems: []\n');
    expect(problems[0]).toMatchObject({ key: '(yaml)', line: expect.any(Number) as unknown as number, problem: expect.stringMatching(/^is not valid YAML: /) as unknown as string });
  });

  it('a duplicate key', () => {
    const { problems } = failure(`${MINIMAL}log: {level: info}\nlog: {level: debug}\nredis: {url: "redis://a", url: "redis://b"}\n`);
    expect(problems).toEqual([
      { key: '(yaml)', line: 7, column: 1, problem: 'repeats a key of the same mapping', expected: 'each key once per mapping' },
      { key: '(yaml)', line: 8, column: 27, problem: 'repeats a key of the same mapping', expected: 'each key once per mapping' },
    ]);
  });

  it('a key that is not plain text', () => {
    const { problems } = failure(`${MINIMAL}? [a, b]\n: c\n`);
    expect(problems[0]).toMatchObject({ key: '(yaml)', line: 6, problem: 'has a key that is not plain text' });
  });

  it('exponential aliases ("billion laughs") are refused', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]`);
    const { problems } = failure(`${lines.join('\n')}\n`);
    expect(problems[0]).toMatchObject({ key: '(yaml)', problem: expect.stringMatching(/^cannot be read as data/) as unknown as string });
  });

  it('more than 100 aliases are refused (yaml resolves each one by a scan of the earlier ones)', () => {
    const list = Array.from({ length: 101 }, () => '*g').join(', ');
    expect(failure(`${MINIMAL}x: &g 1\ny: [${list}]\n`).problems).toEqual([
      { key: '(yaml)', line: 7, column: 5 + 4 * 100, problem: 'is alias number 101', expected: 'at most 100 aliases (*name) in a file' },
    ]);
  });

  it('anchors and aliases within the limit work', () => {
    const config = load('core: {host: h}\nmodems:\n  - &m {name: a, path: /dev/a, groups: &g [x, y]}\n  - {name: b, path: /dev/b, groups: *g}\n');
    expect(config.modems[1]?.groups).toEqual(['x', 'y']);
  });

  it('a file over 1 MiB is refused before parsing', () => {
    expect(failure(`${MINIMAL}#${'x'.repeat(1024 * 1024)}\n`).problems[0]).toMatchObject({ key: '(file)', problem: 'is longer than 1048576 bytes' });
  });

  it('a second document is refused', () => {
    expect(failure(`${MINIMAL}---\n${MINIMAL}`).problems).toEqual([{ key: '(yaml)', line: 6, column: 1, problem: 'starts a second document', expected: 'one YAML document' }]);
  });
});
