/**
 * Set-up for relay tests: private Redis, simulated network and modem, a Gateway, a scripted core
 * (a raw UDP socket) and scripted devices: one speaking CoAP over SMS through the simulated
 * network, others over UDP. Everything is released after each test.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway, type GatewayStartOptions } from '../../../src/gateway/gateway.ts';
import type { GatewayConfig } from '../../../src/gateway/gateway-config.ts';
import { decodeCoap, encodeCoap, type CoapMessage } from '../../../src/lwm2m/index.ts';
import { MODEM_CONFIG_DEFAULTS } from '../../../src/modem/modem-types.ts';
import { SimModem } from '../../../src/sim/modem/index.ts';
import { SimNetworkClient } from '../../../src/sim/network/network-client.ts';
import { SimNetwork } from '../../../src/sim/network/sim-network.ts';
import { decodePdu, splitIntoSubmitPdus } from '../../../src/sms/index.ts';
import { useTestScope, type TestScope } from '../../support/test-scope.ts';

export const GATEWAY_MSISDN = '491700000001';
let scope: TestScope | null = null;
const cleanups = {
  push(cleanup: () => Promise<unknown>): void {
    if (scope === null) throw new Error('call the fixture\'s use…Fixture() first');
    scope.onCleanup(cleanup);
  },
};

/** One private Redis per file; clean-up after each test. */
export function useRelayFixture(): void {
  scope = useTestScope();
}

/** A UDP peer that records what it receives and waits for it. */
export class UdpPeer {
  readonly received: { message: CoapMessage; from: RemoteInfo }[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (bytes, from) => {
      try {
        this.received.push({ message: decodeCoap(bytes), from });
      } catch {
        // not CoAP: ignored
      }
    });
  }

  /** `host`: any loopback address (127.0.0.0/8) when a test needs a second source host. */
  static async open(host = '127.0.0.1'): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
    const peer = new UdpPeer(socket);
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    return peer;
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(message: CoapMessage, port: number, host = '127.0.0.1'): void {
    this.socket.send(encodeCoap(message), port, host);
  }

  sendBytes(bytes: Uint8Array, port: number, host = '127.0.0.1'): void {
    this.socket.send(bytes, port, host);
  }
}

/** A device speaking CoAP over SMS through the simulated network. */
export class SmsDevice {
  readonly received: CoapMessage[] = [];
  smsReceived = 0;
  smsSent = 0;
  private readonly parts = new Map<string, Map<number, Uint8Array>>();
  private reference = 1;

  private constructor(readonly client: SimNetworkClient) {
    client.on('deliver', (delivery) => {
      client.ack(delivery.deliveryId, true);
      const pdu = decodePdu(delivery.pduHex);
      if (pdu.type !== 'deliver') return;
      this.smsReceived += 1;
      const concat = pdu.userData.header?.concatenation;
      if (!concat) {
        this.accept(pdu.userData.data);
        return;
      }
      const key = `${concat.reference}/${concat.total}`;
      const set = this.parts.get(key) ?? new Map<number, Uint8Array>();
      set.set(concat.sequence, pdu.userData.data);
      this.parts.set(key, set);
      if (set.size === concat.total) {
        this.parts.delete(key);
        this.accept(Buffer.concat([...set.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1])));
      }
    });
  }

  static async attach(network: SimNetwork, msisdn: string): Promise<SmsDevice> {
    const client = await SimNetworkClient.connect({ ...network.address, msisdn });
    cleanups.push(() => client.close());
    return new SmsDevice(client);
  }

  /** Sends one CoAP message to the gateway as 8-bit SMS (concatenated when needed). */
  async send(message: CoapMessage): Promise<void> {
    const parts = splitIntoSubmitPdus({ destination: `+${GATEWAY_MSISDN}`, payload: { data: encodeCoap(message) }, concatReference: this.reference++ & 0xff });
    for (const part of parts) {
      this.smsSent += 1;
      const result = await this.client.submit(part.hex.slice(2));
      if (!result.ok) throw new Error(`network refused: ${result.cause}`);
    }
  }

  private accept(bytes: Uint8Array): void {
    try {
      this.received.push(decodeCoap(bytes));
    } catch {
      // not CoAP
    }
  }
}

/** Network, one simulated modem and a gateway in front of `core`. */
export async function startGateway(core: UdpPeer, overrides: Partial<GatewayConfig> = {}, options: GatewayStartOptions = {}): Promise<{ gateway: Gateway; network: SimNetwork; modem: SimModem; config: GatewayConfig }> {
  const network = await SimNetwork.start({ deliveryDelayMs: 0, retryIntervalMs: 200 });
  cleanups.push(() => network.stop());
  const dir = await mkdtemp(join(tmpdir(), 'smsbridge-relay-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const modem = await SimModem.start({ msisdn: `+${GATEWAY_MSISDN}`, network: network.address, registerDelayMs: 0, linkPath: join(dir, 'ttyGw') });
  cleanups.push(() => modem.stop());
  const config: GatewayConfig = {
    redisUrl: scope!.server().url, redisPrefix: 'smsbridge:', core: { host: '127.0.0.1', port: core.port },
    udpListen: { host: '127.0.0.1', port: 0 }, coreSockets: { bindHost: '127.0.0.1', portRange: [42_000, 47_999] },
    modems: [{ ...MODEM_CONFIG_DEFAULTS, name: 'gw-modem', path: modem.linkPath, registrationWaitMs: 3000, groups: ['all'], maxPartsPerSec: 0, sweepIntervalMs: 2000 }],
    routes: [], senderPolicy: { mode: 'open' }, awakeWindowMs: 93_000, reassemblyTimeoutSec: 60, maintenanceIntervalMs: 500, profilesDir: null,
    ...overrides,
  };
  const gateway = await Gateway.start(config, options);
  cleanups.push(() => gateway.stop());
  await gateway.pool.drivers[0]!.waitFor('ready', 10_000);
  return { gateway, network, modem, config };
}

/** A client of the file's private Redis (to look at what the gateway stored). */
export function fixtureRedis(): Redis {
  if (scope === null) throw new Error('call the fixture\'s use…Fixture() first');
  return scope.redis();
}

/** Registers a stop function with the clean-up (for things a test starts itself). */
export function onCleanup(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}
