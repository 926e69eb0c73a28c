/**
 * The LwM2M objects of a simulated device and how it answers the Device Management interface
 * (LwM2M 1.1 Core §6.3: Read, Write, Execute): Server object /1/0 and Device object /3/0.
 * Pure apart from the injected clock: a request in, a response code, payload and effect out.
 *
 * | path      | Read                   | Write                 | Execute |
 * |-----------|------------------------|-----------------------|---------|
 * | /1, /3    | TLV (Object Instance)  | 4.05                  | 4.05    |
 * | /1/0, /3/0| TLV (Resources)        | 4.05                  | 4.05    |
 * | /1/0/1    | text or TLV            | text or TLV → 2.04    | 4.05    |
 * | /1/0/8    | 4.05                   | 4.05                  | 2.04, then an Update |
 * | /x/0/r    | text (TLV on Accept)   | 4.05                  | 4.05    |
 * | others    | 4.04                   | 4.04                  | 4.04    |
 */
import { CoapCode, ContentFormat, accept, contentFormat, uriPath, type CoapMessage } from '../../lwm2m/index.ts';
import { decodeTlv, encodeTlv, readTlvInteger, readTlvString, tlvMultipleResource, tlvResource, type TlvNode } from './lwm2m-tlv.ts';

/** Identity resources of the Device object /3/0 (LwM2M Core Appendix E.4). */
export interface DeviceInfo {
  /** /3/0/0 Manufacturer. */
  readonly manufacturer: string;
  /** /3/0/1 Model Number. */
  readonly model: string;
  /** /3/0/2 Serial Number. */
  readonly serialNumber: string;
  /** /3/0/3 Firmware Version. */
  readonly firmwareVersion: string;
}

/** The identity a simulated device reports unless told otherwise. */
export const DEFAULT_DEVICE_INFO: DeviceInfo = Object.freeze({
  manufacturer: 'lwm2m-sms-bridge',
  model: 'sim-device',
  serialNumber: '0000000001',
  firmwareVersion: '1.0.0',
});

/** What a request asks the device to do besides answering. */
export type DeviceEffect =
  | 'none'
  /** Execute /1/0/8 Registration Update Trigger: send an Update. */
  | 'update-trigger'
  /** Write /1/0/1 changed the lifetime: send an Update with `lt` (LwM2M Core "Update"). */
  | 'lifetime-changed';

/** The answer to one request. */
export interface DeviceAnswer {
  /** What kind of operation it was, for counters; `other` for anything not carried out. */
  readonly operation: 'read' | 'write' | 'execute' | 'other';
  readonly code: number;
  readonly payload?: Uint8Array | string;
  readonly contentFormat?: number;
  readonly effect: DeviceEffect;
}

/** Initial values of {@link DeviceObjects}. */
export interface DeviceObjectsInit {
  readonly info: DeviceInfo;
  /** /1/0/0 Short Server ID. */
  readonly shortServerId: number;
  /** /1/0/1 Lifetime, seconds. */
  readonly lifetimeSec: number;
  /** /1/0/7 Binding and /3/0/16 Supported Binding and Modes, as registered (`UQS`, `US`). */
  readonly binding: string;
  /** Milliseconds since the Unix epoch, for /3/0/13 Current Time. */
  readonly now: () => number;
}

type Scalar = string | number | boolean;

interface Resource {
  /** Readable: its value (an array for a Multiple Resource). */
  readonly read?: () => Scalar | readonly Scalar[];
  /** Writable integer: applies the value and returns the effect, or null when the value is invalid. */
  readonly writeInteger?: (value: number) => DeviceEffect | null;
  /** Executable: the effect of Execute. */
  readonly execute?: DeviceEffect;
}

function answer(operation: DeviceAnswer['operation'], code: number, extra: Partial<DeviceAnswer> = {}): DeviceAnswer {
  return { operation, code, effect: 'none', ...extra };
}

const NOT_FOUND = answer('other', CoapCode.NOT_FOUND);
const METHOD_NOT_ALLOWED = answer('other', CoapCode.METHOD_NOT_ALLOWED);

function textOf(value: Scalar): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

/** RFC 7252 §5.10.4 with LwM2M formats: null (no Accept) or one of `formats`. */
function accepted(request: CoapMessage, formats: readonly number[]): number | null | undefined {
  const wanted = accept(request);
  if (wanted === null) return null;
  return formats.includes(wanted) ? wanted : undefined;
}

/**
 * Objects /1/0 (Server) and /3/0 (Device) of one simulated client. Contract: {@link handle}
 * answers every request without throwing; effects are for the caller to carry out after the
 * response went out.
 */
export class DeviceObjects {
  #lifetimeSec: number;
  readonly #objects: ReadonlyMap<number, ReadonlyMap<number, Resource>>;

  constructor(init: DeviceObjectsInit) {
    this.#lifetimeSec = init.lifetimeSec;
    const server = new Map<number, Resource>([
      [0, { read: () => init.shortServerId }],
      [1, { read: () => this.#lifetimeSec, writeInteger: (value) => this.#writeLifetime(value) }],
      [6, { read: () => false }], // Notification Storing When Disabled or Offline
      [7, { read: () => init.binding }],
      [8, { execute: 'update-trigger' }],
      // Bootstrap-Request Trigger (optional resource): answered 2.04 and counted; the simulated
      // device has no bootstrap server to go to.
      [9, { execute: 'none' }],
    ]);
    const device = new Map<number, Resource>([
      [0, { read: () => init.info.manufacturer }],
      [1, { read: () => init.info.model }],
      [2, { read: () => init.info.serialNumber }],
      [3, { read: () => init.info.firmwareVersion }],
      [9, { read: () => 100 }], // Battery Level, %
      [11, { read: () => [0] }], // Error Code: 0 = no error
      [13, { read: () => Math.floor(init.now() / 1000) }], // Current Time, Unix seconds
      [16, { read: () => init.binding }], // Supported Binding and Modes
    ]);
    this.#objects = new Map([[1, server], [3, device]]);
  }

  /** /1/0/1 Lifetime, seconds (changed by a Write). */
  get lifetimeSec(): number {
    return this.#lifetimeSec;
  }

  /**
   * Answers one request (its Uri-Path, method, Accept and Content-Format). An option that cannot
   * be read (a Uri-Path that is not UTF-8, an Accept of more than 4 bytes) is answered 4.00.
   */
  handle(request: CoapMessage): DeviceAnswer {
    try {
      return this.#dispatch(request);
    } catch {
      return answer('other', CoapCode.BAD_REQUEST);
    }
  }

  #dispatch(request: CoapMessage): DeviceAnswer {
    const path = uriPath(request).map((segment) => (/^(0|[1-9][0-9]{0,4})$/.test(segment) ? Number(segment) : Number.NaN));
    if (path.length === 0 || path.length > 4 || path.some((n) => Number.isNaN(n))) return NOT_FOUND;
    const [objectId = -1, instanceId, resourceId, resourceInstanceId] = path;
    const object = this.#objects.get(objectId);
    if (object === undefined || (instanceId !== undefined && instanceId !== 0)) return NOT_FOUND;
    if (resourceId === undefined) {
      if (request.code !== CoapCode.GET) return METHOD_NOT_ALLOWED;
      if (accepted(request, [ContentFormat.LWM2M_TLV]) === undefined) return answer('read', CoapCode.NOT_ACCEPTABLE);
      const resources = this.#readAll(object);
      const nodes = instanceId === undefined ? [{ type: 'object-instance' as const, id: 0, children: resources }] : resources;
      return answer('read', CoapCode.CONTENT, { payload: encodeTlv(nodes), contentFormat: ContentFormat.LWM2M_TLV });
    }
    const resource = object.get(resourceId);
    if (resource === undefined) return NOT_FOUND;
    switch (request.code) {
      case CoapCode.GET:
        return this.#read(request, resourceId, resource, resourceInstanceId);
      case CoapCode.PUT:
        return resourceInstanceId === undefined ? this.#write(request, resourceId, resource) : METHOD_NOT_ALLOWED;
      case CoapCode.POST:
        if (resource.execute === undefined || resourceInstanceId !== undefined) return METHOD_NOT_ALLOWED;
        return answer('execute', CoapCode.CHANGED, { effect: resource.execute });
      default:
        return METHOD_NOT_ALLOWED;
    }
  }

  #writeLifetime(value: number): DeviceEffect | null {
    if (value < 1 || value > 0xffff_ffff) return null;
    const changed = value !== this.#lifetimeSec;
    this.#lifetimeSec = value;
    return changed ? 'lifetime-changed' : 'none';
  }

  #readAll(object: ReadonlyMap<number, Resource>): TlvNode[] {
    const nodes: TlvNode[] = [];
    for (const [id, resource] of [...object].sort(([a], [b]) => a - b)) {
      const value = resource.read?.();
      if (value === undefined) continue;
      nodes.push(Array.isArray(value) ? tlvMultipleResource(id, value) : tlvResource(id, value as Scalar));
    }
    return nodes;
  }

  #read(request: CoapMessage, resourceId: number, resource: Resource, resourceInstanceId: number | undefined): DeviceAnswer {
    const value = resource.read?.();
    if (value === undefined) return METHOD_NOT_ALLOWED;
    const format = accepted(request, [ContentFormat.TEXT_PLAIN, ContentFormat.LWM2M_TLV]);
    if (format === undefined) return answer('read', CoapCode.NOT_ACCEPTABLE);
    if (Array.isArray(value)) {
      if (resourceInstanceId === undefined) {
        // A Multiple Resource has no text form (LwM2M Core §7.4.1): TLV whatever was asked.
        if (format === ContentFormat.TEXT_PLAIN) return answer('read', CoapCode.NOT_ACCEPTABLE);
        return answer('read', CoapCode.CONTENT, { payload: encodeTlv([tlvMultipleResource(resourceId, value)]), contentFormat: ContentFormat.LWM2M_TLV });
      }
      const item = (value as readonly Scalar[])[resourceInstanceId];
      if (item === undefined) return NOT_FOUND;
      return this.#scalar(format, { ...tlvResource(resourceInstanceId, item), type: 'resource-instance' }, item);
    }
    if (resourceInstanceId !== undefined) return NOT_FOUND;
    return this.#scalar(format, tlvResource(resourceId, value as Scalar), value as Scalar);
  }

  #scalar(format: number | null, node: TlvNode, value: Scalar): DeviceAnswer {
    if (format === ContentFormat.LWM2M_TLV) return answer('read', CoapCode.CONTENT, { payload: encodeTlv([node]), contentFormat: ContentFormat.LWM2M_TLV });
    return answer('read', CoapCode.CONTENT, { payload: textOf(value), contentFormat: ContentFormat.TEXT_PLAIN });
  }

  #write(request: CoapMessage, resourceId: number, resource: Resource): DeviceAnswer {
    if (resource.writeInteger === undefined) return METHOD_NOT_ALLOWED;
    const format = contentFormat(request);
    let value: number;
    if (format === null || format === ContentFormat.TEXT_PLAIN) {
      const text = readTlvString(request.payload);
      if (!/^-?[0-9]{1,15}$/.test(text)) return answer('write', CoapCode.BAD_REQUEST);
      value = Number(text);
    } else if (format === ContentFormat.LWM2M_TLV) {
      try {
        const [node, ...rest] = decodeTlv(request.payload);
        if (node === undefined || rest.length > 0 || node.type !== 'resource' || node.id !== resourceId) return answer('write', CoapCode.BAD_REQUEST);
        value = readTlvInteger(node.value);
      } catch {
        return answer('write', CoapCode.BAD_REQUEST);
      }
    } else {
      return answer('write', CoapCode.UNSUPPORTED_CONTENT_FORMAT);
    }
    const effect = resource.writeInteger(value);
    if (effect === null) return answer('write', CoapCode.BAD_REQUEST);
    return answer('write', CoapCode.CHANGED, { effect });
  }
}
