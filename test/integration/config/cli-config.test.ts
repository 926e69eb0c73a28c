/**
 * `smsbridge config check` and `config print-defaults`, run as the real executable: a summary
 * with secrets redacted and exit 0, or the typed error on stderr and exit 1.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { smsbridge } from '../../support/smsbridge-cli.ts';

const TIMEOUT_MS = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'smsbridge-cli-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The one JSON object on a stream (one line). */
function oneJson(text: string): Record<string, unknown> {
  const lines = text.split('\n').filter((line) => line !== '');
  expect(lines, text).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

describe('smsbridge config', () => {
  it('check: a good file prints a summary with the secrets redacted, exit 0', async () => {
    writeFileSync(join(dir, 'password'), 'hunter2-redis\n');
    writeFileSync(join(dir, 'good.yaml'), [
      'redis: {url: "redis://gw:inline-pw@127.0.0.1:6390/2"}',
      'core: {host: lwm2m.example.net}',
      'modems:',
      '  - {name: modem-a, path: /dev/serial/by-id/usb-x-if02-port0, groups: [de], pinFile: pin}',
      'admin: {enabled: true, tokenFile: admin-token}',
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'pin'), '8642\n');
    writeFileSync(join(dir, 'admin-token'), 'admin-secret-0123456789abcdef\n');
    const run = await smsbridge('config', 'check', join(dir, 'good.yaml'));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const summary = oneJson(run.stdout);
    expect(summary).toMatchObject({
      ok: true,
      redis: 'redis://gw:[redacted]@127.0.0.1:6390/2',
      redisPassword: 'url',
      core: { host: 'lwm2m.example.net', port: 5683 },
      modems: [{ name: 'modem-a', path: '/dev/serial/by-id/usb-x-if02-port0', groups: ['de'], profile: null, pin: 'pinFile' }],
      admin: { enabled: true, listen: { host: '127.0.0.1', port: 8683 }, token: 'tokenFile', readOnlyToken: null },
    });
    expect(run.stdout).not.toContain('admin-secret');
    expect(run.stdout).not.toContain('inline-pw');
    expect(run.stdout).not.toContain('8642');
  }, TIMEOUT_MS);

  it('check: the lab example is valid', async () => {
    const run = await smsbridge('config', 'check', 'config/example-lab.yaml');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(oneJson(run.stdout)).toMatchObject({ ok: true, core: { host: '127.0.0.1', port: 5783 } });
  }, TIMEOUT_MS);

  it('check: a bad file prints GW_ERR_CONFIG with key, line, column and every problem on stderr, exit 1', async () => {
    writeFileSync(join(dir, 'bad.yaml'), 'core:\n  host: h\nmodems:\n  - name: a\n    path: /dev/a\n  - name: b\n    path: dev/b\n    pin: 1234\n');
    const run = await smsbridge('config', 'check', join(dir, 'bad.yaml'));
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
    const error = oneJson(run.stderr);
    expect(error).toMatchObject({ code: 'GW_ERR_CONFIG', key: 'modems[1].path', line: 7, column: 11, file: join(dir, 'bad.yaml') });
    expect(error['message']).toMatch(/bad\.yaml:7:11: modems\[1\]\.path .*expected an absolute device path.* \(and 1 more problem\)$/);
    expect((error['problems'] as { key: string }[]).map((p) => p.key)).toEqual(['modems[1].path', 'modems[1].pin']);
    expect(run.stderr).not.toContain('1234');
  }, TIMEOUT_MS);

  it('check: lists a schema problem and the cross-key problems of the other keys in one run', async () => {
    // The new-user trial: a bad path, two modems named a, an admin API without a token.
    writeFileSync(join(dir, 'dup.yaml'), 'core: {host: h}\nmodems:\n  - {name: a, path: /dev/ttyUSB2}\n  - {name: a, path: dev/ttyUSB3}\nadmin: {enabled: true}\n');
    const run = await smsbridge('config', 'check', join(dir, 'dup.yaml'));
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
    const error = oneJson(run.stderr);
    expect(error).toMatchObject({ code: 'GW_ERR_CONFIG', key: 'modems[1].name', line: 4 });
    expect(error['message']).toMatch(/ \(and 2 more problems\)$/);
    expect((error['problems'] as { key: string; problem: string }[]).map((p) => `${p.key} ${p.problem}`)).toEqual([
      'modems[1].name repeats the name of an earlier modem',
      'modems[1].path does not have an allowed form',
      'admin.enabled is true but no token is configured',
    ]);
  }, TIMEOUT_MS);

  it('check: a typo of a required key headlines the missing key at the typo, with the suggestion', async () => {
    writeFileSync(join(dir, 'typo.yaml'), 'core:\n  host: 127.0.0.1\nmodem:\n  - {name: a, path: /dev/ttyUSB2}\n');
    const run = await smsbridge('config', 'check', join(dir, 'typo.yaml'));
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
    const error = oneJson(run.stderr);
    expect(error).toMatchObject({ code: 'GW_ERR_CONFIG', key: 'modems', line: 3, column: 1 });
    expect(error['message']).toBe(`${join(dir, 'typo.yaml')}:3:1: modems is missing (found modem instead: did you mean modems?); expected a list of at least 1 item`);
  }, TIMEOUT_MS);

  it('run --config on an empty file says it is empty and names the keys a file needs at least', async () => {
    writeFileSync(join(dir, 'empty.yaml'), '');
    const run = await smsbridge('run', '--config', join(dir, 'empty.yaml'));
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
    const error = oneJson(run.stderr);
    expect(error).toMatchObject({ code: 'GW_ERR_CONFIG', key: '(file)', line: null });
    expect(error['message']).toMatch(/empty\.yaml: \(file\) is empty \(no keys\); expected at least core\.host .* and modems \(a list of at least 1 item, each with name and path\); every other key has a default/);
    expect(error['message']).not.toContain('udpListen');
  }, TIMEOUT_MS);

  it('check: a missing file is GW_ERR_CONFIG, exit 1', async () => {
    const run = await smsbridge('config', 'check', join(dir, 'missing.yaml'));
    expect(run.code).toBe(1);
    expect(oneJson(run.stderr)).toMatchObject({ code: 'GW_ERR_CONFIG', key: '(file)' });
  }, TIMEOUT_MS);

  it('print-defaults prints config/default.yaml', async () => {
    const run = await smsbridge('config', 'print-defaults');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toBe(readFileSync(new URL('../../../config/default.yaml', import.meta.url), 'utf8'));
  }, TIMEOUT_MS);
});
