/**
 * `smsbridge core` (addCoreCommand) run in-process through commander with a recording CliIo:
 * the ready line, a registration log line on stderr, the HTTP API, and a clean stop.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addCoreCommand } from '../../../src/cli/core-command.ts';
import type { CliIo } from '../../../src/cli/io.ts';
import { RawCoapPeer } from './coap-peer.ts';

/** A CliIo that records output and stops when told to. */
function recordingIo(): { io: CliIo; stdout: string[]; stderr: string[]; stop: () => void; written: () => Promise<void> } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let stop = (): void => undefined;
  let wake = (): void => undefined;
  const io: CliIo = {
    json: (value) => {
      stdout.push(JSON.stringify(value));
      wake();
    },
    out: (line) => stdout.push(line),
    err: (line) => {
      stderr.push(line);
      wake();
    },
    input: process.stdin,
    untilStopped: () => new Promise((resolve) => (stop = () => resolve('SIGTERM'))),
  };
  return { io, stdout, stderr, stop: () => stop(), written: () => new Promise((resolve) => (wake = resolve)) };
}

function program(io: CliIo): Command {
  const root = new Command('smsbridge').exitOverride();
  addCoreCommand(root, io);
  return root;
}

describe('smsbridge core', () => {
  it('prints the addresses as one JSON line, logs registrations on stderr, serves HTTP, and stops', async () => {
    const { io, stdout, stderr, stop, written } = recordingIo();
    const ready = written();
    const run = program(io).parseAsync(['node', 'smsbridge', 'core', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--ack-timeout-ms', '100']);
    await ready;
    expect(stdout).toHaveLength(1);
    const addresses = JSON.parse(stdout[0] ?? '') as { coap: string; http: string };
    expect(addresses.coap).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(addresses.http).toMatch(/^127\.0\.0\.1:\d+$/);

    const [, port] = addresses.coap.split(':');
    const peer = await RawCoapPeer.open({ host: '127.0.0.1', port: Number(port) });
    try {
      const logged = written();
      await peer.register(['ep=node1', 'lt=300', 'b=US', 'sms=491700000001']);
      await logged;
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(/^registered ep=node1 from=127\.0\.0\.1:\d+ location=\/rd\/[0-9a-z]{5} lt=300 b=US lwm2m=1\.0 sms=491700000001 objects=2$/);
      const clients = (await (await fetch(`http://${addresses.http}/clients`)).json()) as { clients: { endpoint: string }[] };
      expect(clients.clients.map((client) => client.endpoint)).toEqual(['node1']);
    } finally {
      await peer.close();
    }
    stop();
    await run;
    await expect(fetch(`http://${addresses.http}/clients`)).rejects.toThrow();
  });

  it('rejects a bad option with GW_ERR_CONFIG', async () => {
    const { io } = recordingIo();
    await expect(program(io).parseAsync(['node', 'smsbridge', 'core', '--listen', 'nowhere'])).rejects.toMatchObject({ code: 'GW_ERR_CONFIG' });
    await expect(program(io).parseAsync(['node', 'smsbridge', 'core', '--listen', '127.0.0.1:0', '--max-retransmit', 'x']))
      .rejects.toMatchObject({ code: 'GW_ERR_CONFIG' });
    await expect(program(io).parseAsync(['node', 'smsbridge', 'core', '--listen', '127.0.0.1:0', '--ack-random-factor', '0.5']))
      .rejects.toMatchObject({ code: 'GW_ERR_CONFIG' });
  });
});
