/**
 * The gateway's logs: every event of every emitter is subscribed (the event names come from the
 * type declarations in the source, read with the TypeScript compiler), the AT trace switches per
 * modem at run time, and no line shows a secret (a SIM PIN, the Redis password). Real Redis with a
 * password, the simulated network and a simulated modem with a PIN on a pseudo-terminal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../../src/gateway/gateway.ts';
import { MODEM_CONFIG_DEFAULTS } from '../../../src/modem/modem-types.ts';
import { SimModem } from '../../../src/sim/modem/index.ts';
import { SimNetwork } from '../../../src/sim/network/sim-network.ts';
import { redisCommand, startPrivateRedis } from '../../support/private-redis.ts';
import { captureLog, type CapturedLog } from '../../support/log-capture.ts';
import { useTestScope } from '../../support/test-scope.ts';
import type { TypedEmitter, EventMap } from '../../../src/shared/typed-emitter.ts';

const scope = useTestScope();
const PIN = '90817263';
const REDIS_PASSWORD = 'pw-Secret-4711';

/** Names of the properties of each exported event-map type, read from the source files. */
function eventNamesFromSource(declarations: readonly { file: string; type: string }[]): Map<string, string[]> {
  const root = new URL('../../../', import.meta.url).pathname;
  const files = declarations.map((d) => join(root, d.file));
  const program = ts.createProgram(files, { strict: true, allowImportingTsExtensions: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, noResolve: true, noLib: true, types: [] });
  const checker = program.getTypeChecker();
  const names = new Map<string, string[]>();
  for (const [i, declaration] of declarations.entries()) {
    const source = program.getSourceFile(files[i]!);
    if (source === undefined) throw new Error(`cannot read ${declaration.file}`);
    ts.forEachChild(source, (node) => {
      if (ts.isTypeAliasDeclaration(node) && node.name.text === declaration.type) {
        names.set(declaration.type, checker.getTypeAtLocation(node).getProperties().map((p) => p.name));
      }
    });
    if (!names.has(declaration.type)) throw new Error(`${declaration.type} not found in ${declaration.file}`);
  }
  return names;
}

/** A gateway with one simulated modem that has a PIN, on a Redis that has a password. */
async function startPinGateway(log: CapturedLog, atTrace?: 'all'): Promise<Gateway> {
  const redis = await startPrivateRedis();
  scope.onCleanup(() => redis.stop());
  await redisCommand(redis.port, `CONFIG SET requirepass ${REDIS_PASSWORD}`);
  const network = await SimNetwork.start({ deliveryDelayMs: 0, retryIntervalMs: 200 });
  scope.onCleanup(() => network.stop());
  const dir = await mkdtemp(join(tmpdir(), 'smsbridge-logging-'));
  scope.onCleanup(() => rm(dir, { recursive: true, force: true }));
  const modem = await SimModem.start({ msisdn: '+491700000009', network: network.address, registerDelayMs: 0, linkPath: join(dir, 'ttyPin'), pin: PIN });
  scope.onCleanup(() => modem.stop());
  const gateway = await Gateway.start({
    redisUrl: `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}/3`, redisPrefix: 'smsbridge:', core: { host: '127.0.0.1', port: 9 },
    udpListen: { host: '127.0.0.1', port: 0 }, coreSockets: { bindHost: '127.0.0.1', portRange: [42_000, 47_999] },
    modems: [{ ...MODEM_CONFIG_DEFAULTS, name: 'pin-modem', path: modem.linkPath, pin: PIN, groups: ['all'], maxPartsPerSec: 0 }],
    routes: [], senderPolicy: { mode: 'open' }, awakeWindowMs: 93_000, reassemblyTimeoutSec: 60, maintenanceIntervalMs: 500, profilesDir: null,
  }, atTrace === undefined ? { logger: log.logger } : { logger: log.logger, atTrace });
  scope.onCleanup(() => gateway.stop());
  await gateway.pool.drivers[0]!.waitFor('ready', 15_000);
  return gateway;
}

describe('gateway logging', () => {
  it('subscribes to every event of the relay, the mirror, the inbox consumer and each modem driver', async () => {
    const names = eventNamesFromSource([
      { file: 'src/bridge/relay-types.ts', type: 'RelayEvents' },
      { file: 'src/lwm2m/registration-mirror.ts', type: 'RegistrationMirrorEvents' },
      { file: 'src/bridge/inbox-relay.ts', type: 'InboxRelayEvents' },
      { file: 'src/modem/modem-types.ts', type: 'ModemEvents' },
    ]);
    expect(names.get('RelayEvents')).toContain('dropped');
    expect(names.get('ModemEvents')).toContain('state');
    const log = captureLog();
    const gateway = await startPinGateway(log);
    const { relay, mirror, inbox, modems } = gateway.events;
    const emitters: [string, TypedEmitter<EventMap>][] = [
      ['RelayEvents', relay as unknown as TypedEmitter<EventMap>],
      ['RegistrationMirrorEvents', mirror as unknown as TypedEmitter<EventMap>],
      ['InboxRelayEvents', inbox as unknown as TypedEmitter<EventMap>],
      ...modems.map((driver): [string, TypedEmitter<EventMap>] => ['ModemEvents', driver as unknown as TypedEmitter<EventMap>]),
    ];
    const unheard = emitters.flatMap(([type, emitter]) => names.get(type)!.filter((event) => emitter.listenerCount(event) === 0).map((event) => `${type}.${event}`));
    expect(unheard).toEqual([]);
    expect(log.records().find((r) => r.msg === 'modem initialising → ready')).toMatchObject({ level: 'info', modem: 'pin-modem', state: 'ready' });
  }, 60_000);

  it('never shows the SIM PIN or the Redis password, even with the AT trace on from the start', async () => {
    const log = captureLog('trace');
    const gateway = await startPinGateway(log, 'all');
    await gateway.pool.drivers[0]!.sweep();
    const trace = log.records().filter((r) => r.at !== undefined);
    expect(trace.map((r) => r.msg)).toContain('AT+CPIN="***"');
    expect(trace.every((r) => r.modem === 'pin-modem')).toBe(true);
    const all = log.lines.join('\n');
    expect(all).not.toContain(PIN);
    expect(all).not.toContain(REDIS_PASSWORD);
    expect(all).toContain('redis://:[redacted]@127.0.0.1'); // the Redis URL is logged, masked
  }, 60_000);

  it('switches the AT trace of one modem on and off at run time, shown even at level warn', async () => {
    const log = captureLog('warn');
    const gateway = await startPinGateway(log);
    const driver = gateway.pool.drivers[0]!;
    const traced = (): number => log.records().filter((r) => r.at !== undefined).length;
    await driver.sweep();
    expect(traced()).toBe(0);
    gateway.setAtTrace('pin-modem', true);
    await driver.sweep();
    const on = traced();
    expect(log.records().filter((r) => r.at === 'tx').map((r) => r.msg)).toContain('AT+CMGL=4');
    expect(log.records().some((r) => r.at === 'rx' && r.msg === 'OK')).toBe(true);
    expect(gateway.toggleAtTrace()).toBe(false); // any on → all off (SIGUSR2)
    await driver.sweep();
    expect(traced()).toBe(on);
    expect(gateway.toggleAtTrace()).toBe(true);
    expect(() => gateway.setAtTrace('no-such-modem', true)).toThrow(expect.objectContaining({ code: 'GW_ERR_CONFIG' }));
  }, 60_000);
});
