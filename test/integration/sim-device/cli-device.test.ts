/**
 * `smsbridge sim device` in-process: the command is added to a bare `sim` group with
 * addSimDeviceCommand and driven through commander with a recording CliIo whose "signal" the test
 * sends. Real sockets: a CoapTestServer for the device form, the simulated network for the tunnel.
 */
import { createSocket } from 'node:dgram';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { addSimDeviceCommand } from '../../../src/cli/sim-device-command.ts';
import type { CliIo } from '../../../src/cli/io.ts';
import { GatewayError } from '../../../src/shared/errors.ts';
import { SimNetwork } from '../../../src/sim/network/sim-network.ts';
import { Cleanups, CoapTestServer, GATEWAY_NUMBER, TestGateway } from './fixture.ts';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

interface RecordingIo extends CliIo {
  readonly lines: Record<string, unknown>[];
  readonly errors: string[];
  /** Sends the "signal" that ends the command. */
  stop(): void;
}

function recordingIo(): RecordingIo {
  let stop: (signal: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const lines: Record<string, unknown>[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    json: (value) => lines.push(value as Record<string, unknown>),
    out: () => undefined,
    err: (line) => errors.push(line),
    input: process.stdin,
    untilStopped: () => stopped,
    stop: () => stop('SIGTERM'),
  };
}

/** Runs `sim device …args`; resolves when the command returns. */
function run(io: CliIo, ...args: string[]): Promise<unknown> {
  const program = new Command('smsbridge').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const sim = program.command('sim').exitOverride();
  addSimDeviceCommand(sim, io);
  for (const command of sim.commands) command.exitOverride();
  return program.parseAsync(['node', 'smsbridge', 'sim', 'device', ...args]);
}

async function failure(...args: string[]): Promise<GatewayError> {
  const error = await run(recordingIo(), ...args).then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe('smsbridge sim device', () => {
  it('runs a device: a JSON line when started, one per registration, and the stats when stopped', async () => {
    const server = cleanups.add(await CoapTestServer.start(), (s) => s.close());
    const io = recordingIo();
    const done = run(io, '--msisdn', '+491700000201', '--endpoint', 'cli-dev', '--binding', 'U', '--udp', `127.0.0.1:${server.address.port}`, '--lifetime', '120', '--objects', '8');
    await expect.poll(() => io.lines.length).toBe(2);
    expect(io.lines[0]).toMatchObject({
      device: 'cli-dev', msisdn: '491700000201', binding: 'U', lwm2m: '1.0', queueMode: false, lifetimeSec: 120, server: `127.0.0.1:${server.address.port}`, network: null,
    });
    expect(io.lines[1]).toStrictEqual({ registered: '/rd/dev1', endpoint: 'cli-dev', bearer: 'udp', lifetimeSec: 120 });
    expect(Buffer.from(server.requests[0]!.message.payload).toString()).toBe('</1/0>,</3/0>,</4/0>,</5/0>,</6/0>,</7/0>,</3303/0>,</3303/1>');
    io.stop();
    await done;
    expect(server.count('DELETE /rd/dev1')).toBe(1);
    expect(io.lines[2]).toMatchObject({ stopped: 'cli-dev', stats: { registrations: 1, deregistrations: 1 } });
  });

  it('runs the tunnel form and carries a datagram', async () => {
    const network = cleanups.add(await SimNetwork.start({ deliveryDelayMs: 0 }), (n) => n.stop());
    const gateway = cleanups.add(await TestGateway.attach(network), (g) => g.close());
    const io = recordingIo();
    const done = run(io, '--msisdn', '+491700000202', '--tunnel', 'udp://127.0.0.1:0', '--network', `127.0.0.1:${network.address.port}`, '--gateway-number', GATEWAY_NUMBER);
    await expect.poll(() => io.lines.length).toBe(1);
    const started = io.lines[0] as { tunnel: string };
    expect(started).toMatchObject({ msisdn: '491700000202', gatewayNumber: '491700000099' });
    const port = Number(/^udp:\/\/127\.0\.0\.1:(\d+)$/.exec(started.tunnel)?.[1]);
    const socket = createSocket('udp4');
    socket.send(Uint8Array.of(1, 2, 3), port, '127.0.0.1');
    const message = await gateway.next(0);
    socket.close();
    expect([...message.bytes]).toStrictEqual([1, 2, 3]);
    io.stop();
    await done;
    expect(io.lines[1]).toMatchObject({ stopped: 'tunnel', stats: { datagramsIn: 1, smsSent: 1 } });
  });

  it.each([
    [['--msisdn', 'abc', '--endpoint', 'e', '--binding', 'U', '--udp', '127.0.0.1:1'], '--msisdn'],
    [['--msisdn', '1', '--binding', 'U', '--udp', '127.0.0.1:1'], '--endpoint'],
    [['--msisdn', '1', '--endpoint', 'e', '--udp', '127.0.0.1:1'], '--binding'],
    [['--msisdn', '1', '--endpoint', 'e', '--binding', 'UQSQ', '--udp', '127.0.0.1:1'], '--binding'],
    [['--msisdn', '1', '--endpoint', 'e', '--binding', 'U'], '--udp'],
    [['--msisdn', '1', '--endpoint', 'e', '--binding', 'U', '--udp', 'nowhere'], '--udp'],
    [['--msisdn', '1', '--endpoint', 'e', '--binding', 'S', '--gateway-number', '2'], '--network'],
    [['--msisdn', '1', '--endpoint', 'e', '--binding', 'S', '--network', '127.0.0.1:1'], '--gateway-number'],
    [['--msisdn', '1', '--endpoint', 'e', '--binding', 'U', '--udp', '127.0.0.1:1', '--lifetime', '0'], '--lifetime'],
    [['--msisdn', '1', '--endpoint', 'e', '--binding', 'U', '--udp', '127.0.0.1:1', '--lwm2m', '2.0'], '--lwm2m'],
    [['--msisdn', '1', '--endpoint', 'e', '--binding', 'U', '--udp', '127.0.0.1:1', '--object-links', '<1/0'], '--object-links'],
    [['--msisdn', '1', '--tunnel', 'tcp://127.0.0.1:1', '--network', '127.0.0.1:1', '--gateway-number', '2'], '--tunnel'],
    [['--msisdn', '1', '--tunnel', 'udp://127.0.0.1:1', '--gateway-number', '2'], '--network'],
    [['--msisdn', '1', '--tunnel', 'udp://127.0.0.1:1', '--network', '127.0.0.1:1', '--gateway-number', '2', '--binding', 'S'], '--binding'],
  ])('rejects %j naming %s', async (args, option) => {
    const error = await failure(...args);
    expect(error.code).toBe('GW_ERR_CONFIG');
    expect(error.details.option).toBe(option);
    expect(error.message.startsWith(`${option}:`)).toBe(true);
  });
});
