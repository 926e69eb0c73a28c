/**
 * The minimal LwM2M core of the device-scale benchmark, in a process of its own: one UDP socket
 * that answers a Register (`POST /rd?…`) with a piggybacked 2.01 and Location-Path `rd/<n>`, an
 * Update (`POST /rd/<n>`) with 2.04, a De-register with 2.02 (LwM2M 1.1 Core §6.2), and counts
 * them. Started by bench/device-scale.ts; not meant to be run by hand.
 *
 * Protocol, one JSON object per line: on start `{"core":{host,port}}`; `{"op":"counts"}` →
 * `{"registers":n,"updates":n,"deregisters":n}`. When stdin ends, the process exits.
 */
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { CoapCode, CoapOptionNumber, coapResponse, decodeCoap, encodeCoap, stringOptions, uriPath, type CoapMessage } from '../../src/lwm2m/index.ts';

const counts = { registers: 0, updates: 0, deregisters: 0 };
const socket = createSocket('udp4');
socket.on('error', () => undefined);
socket.on('message', (bytes, from) => {
  let request: CoapMessage;
  try {
    request = decodeCoap(bytes);
  } catch {
    return;
  }
  if (request.type !== 'CON' || request.code === 0 || request.code >= 64) return;
  const path = uriPath(request);
  let answer: CoapMessage;
  if (request.code === CoapCode.POST && path.length === 1 && path[0] === 'rd') {
    counts.registers += 1;
    answer = coapResponse(request, CoapCode.CREATED, undefined, { options: stringOptions(CoapOptionNumber.LOCATION_PATH, ['rd', String(counts.registers)], 'Location-Path') });
  } else if (request.code === CoapCode.POST && path[0] === 'rd') {
    counts.updates += 1;
    answer = coapResponse(request, CoapCode.CHANGED);
  } else if (request.code === CoapCode.DELETE && path[0] === 'rd') {
    counts.deregisters += 1;
    answer = coapResponse(request, CoapCode.DELETED);
  } else {
    answer = coapResponse(request, CoapCode.NOT_FOUND);
  }
  socket.send(encodeCoap(answer), from.port, from.address);
});
await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
const say = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
say({ core: { host: '127.0.0.1', port: socket.address().port } });
const lines = createInterface({ input: process.stdin });
lines.on('line', () => say(counts));
lines.on('close', () => socket.close(() => process.exit(0)));
