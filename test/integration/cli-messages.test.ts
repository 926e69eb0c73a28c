/**
 * What the CLI says when something is wrong, run as the real executable: one JSON line on
 * stderr with a stable code, whose message names what to look at (the Redis URL and its config
 * key, the port that cannot be opened) in one clean sentence.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPtyPeer } from '../support/pty-peer.ts';
import { BIN, ROOT, smsbridge, smsbridgeWith } from '../support/smsbridge-cli.ts';

const TIMEOUT_MS = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'smsbridge-cli-messages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The one JSON object on a stream (one line). */
function oneJson(text: string): Record<string, unknown> {
  const lines = text.split('\n').filter((line) => line !== '');
  expect(lines, text).toHaveLength(1);
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

/**
 * A loopback TCP port nothing listens on: 1 (tcpmux, RFC 1078, served nowhere today). Not a port
 * bound and closed again: another test (or process) could be given that port by the kernel and
 * listen on it before the command connects. Port 1 is outside the kernel's ephemeral range
 * (32768+), where every `listen(0)` of this suite lands, and no test here listens on a fixed port
 * below 1024 (privileged ports: only root may listen there, and the tests may run as root, so it
 * is this suite's own rule that keeps port 1 free).
 */
const CLOSED_PORT = 1;

describe('smsbridge error messages', () => {
  it('wakeup --config with no Redis listening names the URL (password masked), its config key and the cause', async () => {
    const port = CLOSED_PORT;
    const configPath = join(dir, 'no-redis.yaml');
    writeFileSync(configPath, `redis: {url: "redis://gw:hunter2@127.0.0.1:${port}/3"}\ncore: {host: 127.0.0.1}\nmodems: [{name: a, path: /dev/ttyUSB2}]\n`);
    // --timeout-sec bounds the wait for Redis in the --config mode (default 10 s): 1 s is enough to see ECONNREFUSED.
    const run = await smsbridge('wakeup', 'node1', '--config', configPath, '--timeout-sec', '1');
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
    const error = oneJson(run.stderr);
    const url = `redis://gw:[redacted]@127.0.0.1:${port}/3`;
    expect(error).toMatchObject({ code: 'GW_ERR_WAKEUP_REDIS', url, key: 'redis.url', file: configPath, cause: 'ECONNREFUSED' });
    expect(error['message']).toBe(`Redis at ${url} (redis.url in ${configPath}) did not answer within 1000 ms (ECONNREFUSED); no job was added`);
    expect(run.stderr).not.toContain('hunter2');
  }, TIMEOUT_MS);

  it('wakeup --config when Redis\' errors say nothing (an empty error reply): no empty "()" at the end, cause null', async () => {
    // A server that answers every command with an empty error reply (`-` and nothing): the
    // connection errors it gives have neither a code nor a message.
    const sockets = new Set<Socket>();
    const mute = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('data', () => socket.write('-\r\n'));
    });
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = mute.address() as { port: number };
      const configPath = join(dir, 'mute-redis.yaml');
      writeFileSync(configPath, `redis: {url: "redis://127.0.0.1:${port}"}\ncore: {host: 127.0.0.1}\nmodems: [{name: a, path: /dev/ttyUSB2}]\n`);
      const run = await smsbridge('wakeup', 'node1', '--config', configPath, '--timeout-sec', '1');
      expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
      // One line: the command's error. Before, the fault handler's line for a rejection BullMQ
      // left unhandled (the queue closed before its start-up on the connection had failed) came too.
      expect(run.stderr).not.toContain('GW_ERR_INTERNAL');
      const line = run.stderr.split('\n').find((text) => text.includes('"GW_ERR_WAKEUP_REDIS"'));
      const error = JSON.parse(line ?? '{}') as Record<string, unknown>;
      expect(error).toMatchObject({ code: 'GW_ERR_WAKEUP_REDIS', cause: null });
      expect(error['message']).toBe(`Redis at redis://127.0.0.1:${port}/0 (redis.url in ${configPath}) did not answer within 1000 ms; no job was added`);
      expect(String(error['message'])).not.toContain('()');
    } finally {
      for (const socket of sockets) socket.destroy();
      mute.close();
    }
  }, TIMEOUT_MS);

  it('at on a device that does not exist: one sentence, with where to look', async () => {
    const missing = join(dir, 'no-such-tty');
    const run = await smsbridge('at', missing, 'ATI');
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 1, stdout: '' });
    expect(oneJson(run.stderr)).toEqual({
      code: 'GW_ERR_MODEM_OPEN', path: missing, message: `cannot open ${missing}: no such device (ls /dev/serial/by-id/ lists the serial ports)`,
    });
  }, TIMEOUT_MS);

  it('at on a file that is not a serial port: the cause once, and the same hint', async () => {
    const run = await smsbridge('at', '/dev/null', 'ATI');
    expect(run.code).toBe(1);
    const message = String(oneJson(run.stderr)['message']);
    expect(message).toMatch(/^cannot open \/dev\/null: [a-z][^:]*\(is it a serial port\? ls \/dev\/serial\/by-id\/ lists them\)$/);
    expect(message).not.toContain('Error:');
  }, TIMEOUT_MS);

  it('at, interactive, when the modem\'s port closes (the far end of its pty hangs up): one sentence, exit 1, though stdin is still open', async () => {
    const peer = await openPtyPeer();
    const child = spawn(process.execPath, [BIN, 'at', peer.path], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      let stdout = '';
      let stderr = '';
      let connected: () => void = () => undefined;
      const isConnected = new Promise<void>((resolve) => (connected = resolve));
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        if (stderr.includes('connected;')) connected();
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await isConnected;
      await peer.close(); // socat ends: the pty's master closes, the console's tty hangs up
      expect(await exited).toBe(1); // stdin was never closed: the console ended because its port did
      expect(stdout).toBe('');
      const [banner, ...rest] = stderr.split('\n').filter((line) => line !== '');
      expect(banner).toMatch(/^connected;/);
      expect(rest).toHaveLength(1);
      expect(JSON.parse(rest[0] ?? '')).toEqual({ code: 'GW_ERR_AT_CLOSED', path: peer.path, message: `the modem's port closed: ${peer.path}` });
    } finally {
      child.kill();
      await peer.close();
    }
  }, TIMEOUT_MS);

  it('pdu encode --text "": one colon, after the option', async () => {
    const run = await smsbridge('pdu', 'encode', '--to', '+491701234567', '--text', '');
    expect(run.code).toBe(1);
    expect(oneJson(run.stderr)).toEqual({ code: 'GW_ERR_CONFIG', option: '--text', message: '--text: the text is empty; an SMS needs a payload' });
  }, TIMEOUT_MS);

  it('an admin command with no token says where a token comes from, not an option the user never passed', async () => {
    const run = await smsbridgeWith({ env: { SMSBRIDGE_TOKEN: '' } }, 'status', '--url', 'http://127.0.0.1:9');
    expect(run.code).toBe(1);
    const error = oneJson(run.stderr);
    expect(error).toMatchObject({ code: 'GW_ERR_CONFIG', message: 'no admin token given: set the SMSBRIDGE_TOKEN environment variable or pass --token-file <file>' });
    expect(String(error['message'])).not.toMatch(/^--token-file:/);
  }, TIMEOUT_MS);

  it('help shows defaults one way: demo --help and status --help alike', async () => {
    const demo = (await smsbridge('demo', '--help')).stdout.replace(/\s+/g, ' ');
    const status = (await smsbridge('status', '--help')).stdout.replace(/\s+/g, ' ');
    expect(demo).toContain('(default: 0)');
    expect(status).toContain('(default: 60)');
    expect(`${demo} ${status}`).not.toMatch(/\(default: "|\(default [^:]/);
  }, TIMEOUT_MS);
});
