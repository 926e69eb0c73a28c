/**
 * Simulated SMS devices of the crash scenario, one {@link DeviceSmsLink} each (a handset on the
 * simulated network): they register, send uplinks (LwM2M Send, CON POST /dp, or a notification,
 * NON 2.05 with Observe), and answer every request of the core with a piggybacked 2.05, counting
 * how many SMS carried each request (by token): more than one is a downlink sent twice.
 */
import { coapRequest } from '../../src/lwm2m/coap-builders.ts';
import { CoapCode } from '../../src/lwm2m/coap-codes.ts';
import { decodeCoap, encodeCoap, type CoapMessage } from '../../src/lwm2m/coap-message.ts';
import { CoapOptionNumber, encodeUintOption } from '../../src/lwm2m/coap-options.ts';
import { DeviceSmsLink } from '../../src/sim/device/sms-link.ts';

/** One device. */
export interface SmsDevice {
  readonly endpoint: string;
  readonly link: DeviceSmsLink;
  /** True once the core's 2.01 to its Register arrived by SMS. */
  registered: boolean;
}

/** The devices and what they counted. */
export interface SmsDevices {
  readonly devices: readonly SmsDevice[];
  /** SMS messages received per request token (hex). */
  readonly requestsByToken: Map<string, number>;
  /** Sends the Register of every device. */
  register(): Promise<void>;
  /** Sends uplink `id` from device `index`: CON POST /dp when `confirmable`, else a NON notification; `padBytes` makes it longer (concatenated past 140 bytes). */
  uplink(index: number, id: string, confirmable: boolean, padBytes: number): Promise<void>;
  close(): Promise<void>;
}

/** Connects `count` devices to the network, half of them to each gateway number. */
export async function connectSmsDevices(network: { host: string; port: number }, count: number, gatewayNumbers: readonly string[]): Promise<SmsDevices> {
  const requestsByToken = new Map<string, number>();
  const devices: SmsDevice[] = [];
  const messageIds: number[] = [];
  for (let i = 0; i < count; i++) {
    const link = await DeviceSmsLink.connect({ network, msisdn: `+4917099${String(i).padStart(5, '0')}`, peerMsisdn: gatewayNumbers[i % gatewayNumbers.length]! });
    const device: SmsDevice = { endpoint: `crash-dev-${i}`, link, registered: false };
    devices.push(device);
    messageIds.push((i * 4099) & 0xffff);
    link.on('message', (payload) => {
      let message: CoapMessage;
      try {
        message = decodeCoap(payload);
      } catch {
        return;
      }
      if (message.type === 'ACK' && message.code === CoapCode.CREATED) device.registered = true;
      if ((message.type === 'CON' || message.type === 'NON') && message.code >= 1 && message.code < 32) {
        const token = Buffer.from(message.token).toString('hex');
        requestsByToken.set(token, (requestsByToken.get(token) ?? 0) + 1);
        const answer: CoapMessage = { version: 1, type: message.type === 'CON' ? 'ACK' : 'NON', code: CoapCode.CONTENT, messageId: message.type === 'CON' ? message.messageId : nextId(i), token: message.token, options: [], payload: Buffer.from('crash-bench') };
        void link.send(encodeCoap(answer)).catch(() => undefined);
      }
    });
  }
  function nextId(index: number): number {
    const id = messageIds[index]!;
    messageIds[index] = (id + 1) & 0xffff;
    return id;
  }
  return {
    devices,
    requestsByToken,
    register: async () => {
      for (const [i, device] of devices.entries()) {
        await device.link.send(encodeCoap(coapRequest({ code: CoapCode.POST, messageId: nextId(i), token: Uint8Array.of(0xee, i & 0xff), path: ['rd'], query: [`ep=${device.endpoint}`, 'b=S', 'lt=86400', 'lwm2m=1.1'], payload: '</1/0>,</3/0>' })));
      }
    },
    uplink: async (index, id, confirmable, padBytes) => {
      const payload = JSON.stringify({ u: id, pad: 'p'.repeat(padBytes) });
      const message: CoapMessage = confirmable
        ? coapRequest({ code: CoapCode.POST, messageId: nextId(index), token: Uint8Array.of(0xd0, index & 0xff), path: ['dp'], payload })
        : { version: 1, type: 'NON', code: CoapCode.CONTENT, messageId: nextId(index), token: Uint8Array.of(0x0b, index & 0xff), options: [{ number: CoapOptionNumber.OBSERVE, value: encodeUintOption(Number(id.replace(/\D/g, '')) & 0xffffff) }], payload: Buffer.from(payload) };
      await devices[index]!.link.send(encodeCoap(message));
    },
    close: async () => {
      await Promise.all(devices.map((device) => device.link.close().catch(() => undefined)));
    },
  };
}
