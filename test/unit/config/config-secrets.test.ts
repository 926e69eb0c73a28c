/**
 * Secrets in the configuration: from environment variables and files (real files in a temporary
 * folder), problems that name the key but never the value, and redaction for output.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig, redactConfig, type Config, type LocatedProblem } from '../../../src/config/index.ts';
import { toGatewayConfig } from '../../../src/gateway/config-to-gateway.ts';
import { GatewayError } from '../../../src/shared/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'smsbridge-config-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REDIS_PASSWORD = 'r3dis:pa ss/@word%';
const PIN_A = '2468';
const PIN_B = '13579';
writeFileSync(join(dir, 'redis-password'), `${REDIS_PASSWORD}\n`);
writeFileSync(join(dir, 'pin-b'), `${PIN_B}\r\n`);
writeFileSync(join(dir, 'empty'), '');
writeFileSync(join(dir, 'big'), 'x'.repeat(5000));
writeFileSync(join(dir, 'not-a-pin'), 'letmein\n');
const ADMIN_TOKEN = 'adm1n-t0ken-0123456789abcdef';
const READ_ONLY_TOKEN = 'read-only-token-0123456789';
writeFileSync(join(dir, 'admin-token'), `${ADMIN_TOKEN}\n`);

const ENV = { MODEM_A_PIN: PIN_A, EMPTY: '', RO_TOKEN: READ_ONLY_TOKEN, SHORT_TOKEN: 'short' };

function configText(extra: { redis?: string; modemA?: string; modemB?: string } = {}): string {
  return [
    'core: {host: core.example.net}',
    `redis: {url: "redis://gw@127.0.0.1:6390/1"${extra.redis ?? ', passwordFile: redis-password'}}`,
    'modems:',
    `  - {name: a, path: /dev/a${extra.modemA ?? ', pinEnv: MODEM_A_PIN'}}`,
    `  - {name: b, path: /dev/b${extra.modemB ?? ', pinFile: pin-b'}}`,
    '',
  ].join('\n');
}

function load(text: string): Config {
  return parseConfig(text, { file: 'secrets.yaml', env: ENV, baseDir: dir });
}

function problemsOf(text: string): { json: string; problems: LocatedProblem[] } {
  try {
    load(text);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('GW_ERR_CONFIG');
    return { json: JSON.stringify((error as GatewayError).toJSON()), problems: (error as GatewayError).details['problems'] as LocatedProblem[] };
  }
  throw new Error('expected GW_ERR_CONFIG');
}

describe('secrets from the environment and files', () => {
  it('resolves the Redis password from a file (one trailing newline dropped) and PINs from env and file', () => {
    const config = load(configText());
    expect(config.redis.password).toBe(REDIS_PASSWORD);
    expect(config.redis.passwordFile).toBe(join(dir, 'redis-password'));
    expect(config.modems.map((modem) => modem.pin)).toEqual([PIN_A, PIN_B]);
  });

  it('takes the Redis password from an environment variable, or from the URL', () => {
    expect(parseConfig(configText({ redis: ', passwordEnv: REDIS_PW' }), { env: { ...ENV, REDIS_PW: 'pw' }, baseDir: dir }).redis.password).toBe('pw');
    expect(load(configText({ redis: '' }).replace('gw@', 'gw:inline@')).redis.password).toBe('inline');
  });

  it('loadConfigFile reads relative secret files from the config file\'s folder', async () => {
    writeFileSync(join(dir, 'config.yaml'), configText());
    const config = await loadConfigFile(join(dir, 'config.yaml'), ENV);
    expect(config.redis.password).toBe(REDIS_PASSWORD);
    expect(config.modems[1]?.pin).toBe(PIN_B);
  });

  it('a missing or empty environment variable names the key and the variable', () => {
    const { problems } = problemsOf(configText({ modemA: ', pinEnv: MODEM_X_PIN', redis: ', passwordEnv: EMPTY' }));
    expect(problems).toEqual([
      { key: 'redis.passwordEnv', line: 2, column: 58, problem: 'names environment variable EMPTY, which is not set or empty', expected: 'a set environment variable holding the Redis password' },
      { key: 'modems[0].pinEnv', line: 4, column: 37, problem: 'names environment variable MODEM_X_PIN, which is not set or empty', expected: 'a set environment variable holding a SIM PIN' },
    ]);
  });

  it('a missing, empty, oversized, non-regular or unreadable file names the key and the reason', () => {
    const reason = (file: string): string => problemsOf(configText({ modemB: `, pinFile: ${file}` })).problems[0]?.problem ?? '';
    expect(reason('nope')).toBe(`names ${join(dir, 'nope')}, which cannot be read (ENOENT)`);
    expect(reason('empty')).toBe(`names ${join(dir, 'empty')}, which is empty`);
    expect(reason('big')).toMatch(/\(ETOOBIG\)$/);
    expect(reason('/dev/zero')).toMatch(/\(ENOTFILE\)$/);
    expect(reason(dir)).toMatch(/cannot be read/);
    if (process.getuid?.() !== 0) {
      writeFileSync(join(dir, 'locked'), '1234');
      chmodSync(join(dir, 'locked'), 0o000);
      expect(reason('locked')).toMatch(/\(EACCES\)$/);
    }
  });

  it('a value that is not a PIN is refused without showing it', () => {
    const { json, problems } = problemsOf(configText({ modemB: ', pinFile: not-a-pin' }));
    expect(problems).toEqual([{ key: 'modems[1].pinFile', line: 5, column: 38, problem: 'leads to a value that is not a SIM PIN', expected: '4 to 8 decimal digits' }]);
    expect(json).not.toContain('letmein');
  });

  it('two sources for one secret are refused', () => {
    expect(problemsOf(configText({ modemA: ', pinEnv: MODEM_A_PIN, pinFile: pin-b' })).problems.map((p) => p.key)).toEqual(['modems[0].pinFile']);
    expect(problemsOf(configText({ redis: ', passwordEnv: MODEM_A_PIN, passwordFile: redis-password' })).problems.map((p) => p.key)).toEqual(['redis.passwordFile']);
    expect(problemsOf(configText().replace('gw@', 'gw:inline@')).problems.map((p) => p.key)).toEqual(['redis.passwordFile']);
  });
});

describe('admin API tokens', () => {
  const withAdmin = (admin: string): string => `${configText()}admin: {${admin}}\n`;

  it('come from a file and an environment variable, and are redacted for output', () => {
    const config = load(withAdmin('enabled: true, tokenFile: admin-token, readOnlyTokenEnv: RO_TOKEN'));
    expect([config.admin.token, config.admin.readOnlyToken]).toEqual([ADMIN_TOKEN, READ_ONLY_TOKEN]);
    expect(config.admin.tokenFile).toBe(join(dir, 'admin-token'));
    const text = JSON.stringify(redactConfig(config));
    expect(text).not.toContain(ADMIN_TOKEN);
    expect(text).not.toContain(READ_ONLY_TOKEN);
  });

  it('an enabled API without a token, a short token and two sources are refused without showing the value', () => {
    expect(problemsOf(withAdmin('enabled: true')).problems.map((p) => p.key)).toEqual(['admin.enabled']);
    const short = problemsOf(withAdmin('enabled: true, tokenEnv: SHORT_TOKEN'));
    expect(short.problems.map((p) => p.key)).toEqual(['admin.tokenEnv']);
    expect(short.json).not.toContain('"short"');
    expect(problemsOf(withAdmin('tokenEnv: RO_TOKEN, tokenFile: admin-token')).problems.map((p) => p.key)).toEqual(['admin.tokenFile']);
    expect(load(withAdmin('enabled: false')).admin.token).toBeNull();
  });

  it('a disabled API does not need its token: tokenEnv may name a variable that is not set yet', () => {
    const config = load(withAdmin('enabled: false, tokenEnv: NOT_SET_YET, readOnlyTokenFile: missing-file'));
    expect([config.admin.token, config.admin.readOnlyToken]).toEqual([null, null]);
  });
});

describe('redactConfig', () => {
  it('leaves no secret in its output, while the loaded config holds them all', () => {
    const config = load(configText());
    const secrets = [REDIS_PASSWORD, encodeURIComponent(REDIS_PASSWORD), PIN_A, PIN_B];
    const gatewayUrl = toGatewayConfig(config).redisUrl;
    expect(gatewayUrl).toContain(encodeURIComponent(REDIS_PASSWORD));
    expect([config.redis.password, ...config.modems.map((modem) => modem.pin)]).toEqual([REDIS_PASSWORD, PIN_A, PIN_B]);
    const redacted = redactConfig(config);
    const text = JSON.stringify(redacted);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(redacted.redis.password).toBe('[redacted]');
    expect(redacted.modems.map((modem) => modem.pin)).toEqual(['[redacted]', '[redacted]']);
    expect(redacted.modems[0]?.pinEnv).toBe('MODEM_A_PIN');
    expect(Object.isFrozen(redacted.modems[0])).toBe(true);
  });

  it('redacts a password written in the URL', () => {
    const redacted = redactConfig(load(configText({ redis: '' }).replace('gw@', 'gw:inline-secret@')));
    expect(redacted.redis.url).toBe('redis://gw:[redacted]@127.0.0.1:6390/1');
    expect(JSON.stringify(redacted)).not.toContain('inline-secret');
  });

  it('keeps null where there is no secret', () => {
    const redacted = redactConfig(load(configText({ redis: '', modemA: '', modemB: '' })));
    expect(redacted.redis.password).toBeNull();
    expect(redacted.redis.url).toBe('redis://gw@127.0.0.1:6390/1');
    expect(redacted.modems.map((modem) => modem.pin)).toEqual([null, null]);
  });
});
