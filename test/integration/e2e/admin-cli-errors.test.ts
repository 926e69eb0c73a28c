/**
 * The admin CLI commands' errors when `--url` does not lead to a gateway's admin API, as an
 * operator meets them: a real `smsbridge` process against a real HTTP server that is some other
 * program (JSON errors of its own), a closed port, and a bad `--to` caught before any request.
 * Each is one JSON object on stderr with a stable code and exit 1, no stack trace.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freeTcpPort } from '../../support/private-redis.ts';
import { smsbridgeWith } from '../../support/smsbridge-cli.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** An HTTP server that answers every request with `status` and `body` as JSON. */
async function otherServer(status: number, body: unknown): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method ?? ''} ${request.url ?? ''}`);
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** The one JSON object a failed command printed on stderr. */
function errorOf(run: { code: number | null; stdout: string; stderr: string }): Record<string, unknown> {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  return JSON.parse(run.stderr) as Record<string, unknown>;
}

const TOKEN = { SMSBRIDGE_TOKEN: 'some-token-0123456789' };

describe('admin CLI: errors when --url is not a gateway', () => {
  it('says GW_ERR_ADMIN_UNREACHABLE, not an internal error, when another JSON server answers an error', async () => {
    const other = await otherServer(404, { error: { message: 'no route' } });
    const error = errorOf(await smsbridgeWith({ env: TOKEN }, 'status', '--url', other.url));
    expect(other.requests).toEqual(['GET /api/v1/status']);
    expect(error).toMatchObject({ code: 'GW_ERR_ADMIN_UNREACHABLE', status: 404, url: other.url });
    expect(error['message']).toMatch(/not an admin API error; is --url the gateway's admin API\?/);
  });

  it('keeps a gateway error code this CLI does not know beside GW_ERR_INTERNAL', async () => {
    const newer = await otherServer(409, { code: 'GW_ERR_SOMETHING_NEWER', message: 'a newer gateway said no' });
    expect(errorOf(await smsbridgeWith({ env: TOKEN }, 'modems', '--url', newer.url))).toMatchObject({ code: 'GW_ERR_INTERNAL', apiCode: 'GW_ERR_SOMETHING_NEWER', message: 'a newer gateway said no', status: 409 });
  });

  it('names why nothing answered: a closed port is ECONNREFUSED', async () => {
    const port = await freeTcpPort();
    const error = errorOf(await smsbridgeWith({ env: TOKEN }, 'devices', '--json', '--url', `http://127.0.0.1:${port}`));
    expect(error).toMatchObject({ code: 'GW_ERR_ADMIN_UNREACHABLE', url: `http://127.0.0.1:${port}` });
    expect(error['message']).toMatch(/cannot be reached \(ECONNREFUSED\)/);
  });

  it('refuses a --to without + and country code before any request, naming the option', async () => {
    const gateway = await otherServer(200, { messageId: 'm', modem: 'x', parts: 1 });
    for (const to of ['491701234567', '+0491701234567', '12345']) {
      const error = errorOf(await smsbridgeWith({ env: TOKEN }, 'send', '--to', to, '--text', 'hi', '--url', gateway.url));
      expect(error).toMatchObject({ code: 'GW_ERR_CONFIG', option: '--to' });
      expect(error['message']).toMatch(/E\.164 with \+ and the country code/);
    }
    expect(gateway.requests).toEqual([]);
  });

  it('refuses a --data-hex that is not hex octets before any request, naming the option', async () => {
    const gateway = await otherServer(200, { messageId: 'm', modem: 'x', parts: 1 });
    for (const hex of ['0', 'zz', '000', '']) {
      const error = errorOf(await smsbridgeWith({ env: TOKEN }, 'send', '--to', '+491701234567', '--data-hex', hex, '--url', gateway.url));
      expect(error).toMatchObject({ code: 'GW_ERR_CONFIG', option: '--data-hex' });
    }
    expect(gateway.requests).toEqual([]);
  });

  it('says a --token-file is empty rather than that no token was given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smsbridge-cli-token-'));
    try {
      const file = join(dir, 'token');
      await writeFile(file, '\n', { mode: 0o600 });
      const error = errorOf(await smsbridgeWith({ env: { SMSBRIDGE_TOKEN: '' } }, 'status', '--token-file', file, '--url', 'http://127.0.0.1:9'));
      expect(error).toMatchObject({ code: 'GW_ERR_CONFIG', option: '--token-file', message: `--token-file: ${file} is empty; it must hold the admin token` });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives up on a server that never answers after --timeout-sec, and refuses a bad --timeout-sec', async () => {
    const silent = createServer(() => undefined); // accepts, never answers
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      expect(errorOf(await smsbridgeWith({ env: TOKEN }, 'queues', '--timeout-sec', '1', '--url', url))).toMatchObject({
        code: 'GW_ERR_ADMIN_UNREACHABLE', url, message: `the admin API at ${url} did not answer within 1 s (--timeout-sec)`,
      });
      expect(errorOf(await smsbridgeWith({ env: TOKEN }, 'send', '--to', '+491701234567', '--text', 'hi', '--timeout-sec', '1', '--url', url))['message']).toMatch(/did not answer within 1 s \(--timeout-sec\); whether the request was carried out is unknown$/);
      for (const bad of ['0', '1.5', 'ten', '3601']) {
        expect(errorOf(await smsbridgeWith({ env: TOKEN }, 'status', '--timeout-sec', bad, '--url', url))).toMatchObject({ code: 'GW_ERR_CONFIG', option: '--timeout-sec' });
      }
    } finally {
      silent.closeAllConnections();
    }
  });
});
