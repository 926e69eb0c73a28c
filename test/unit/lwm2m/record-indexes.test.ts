/**
 * The mirror's source index (src/lwm2m/record-indexes.ts): a source names the endpoint whose
 * record named it last; a device that moves frees its old address; dropping a record removes only
 * the entries that still name it. Pure (no I/O).
 */
import { describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../../../src/lwm2m/device-record.ts';
import { IndexedRecords } from '../../../src/lwm2m/record-indexes.ts';

function record(endpoint: string, fields: Partial<DeviceRecord>): DeviceRecord {
  return {
    endpoint, msisdn: null, udpHost: null, udpPort: null, binding: 'U', queueMode: false, lifetimeSec: 86_400,
    lwm2mVersion: '1.1', objectLinks: '', location: null, registered: true, registeredAtMs: 0,
    lastActivityMs: 0, lastBearer: 'udp', lastUdpActivityMs: 0, ...fields,
  } as DeviceRecord;
}

describe('IndexedRecords: sources', () => {
  it('finds a device by its UDP host and port, and by its MSISDN, and nothing else', () => {
    const records = new IndexedRecords();
    records.remember(record('a', { udpHost: '10.0.0.1', udpPort: 5683, msisdn: '4915100000001' }));
    expect(records.endpointOf({ bearer: 'udp', host: '10.0.0.1', port: 5683 })).toBe('a');
    expect(records.endpointOf({ bearer: 'sms', msisdn: '4915100000001' })).toBe('a');
    expect(records.endpointOf({ bearer: 'udp', host: '10.0.0.1', port: 5684 })).toBeUndefined();
    expect(records.endpointOf({ bearer: 'udp', host: '10.0.0.2', port: 5683 })).toBeUndefined();
    expect(records.endpointOf({ bearer: 'sms', msisdn: '4915100000002' })).toBeUndefined();
  });

  it('a device that moves frees its old address; a device that takes it keeps it when the first one goes', () => {
    const records = new IndexedRecords();
    records.remember(record('a', { udpHost: '10.0.0.1', udpPort: 5683 }));
    records.remember(record('a', { udpHost: '10.0.0.1', udpPort: 40000 })); // NAT rebinding
    expect(records.endpointOf({ bearer: 'udp', host: '10.0.0.1', port: 5683 })).toBeUndefined();
    expect(records.endpointOf({ bearer: 'udp', host: '10.0.0.1', port: 40000 })).toBe('a');
    records.remember(record('b', { udpHost: '10.0.0.1', udpPort: 40000 })); // the address now belongs to b
    expect(records.endpointOf({ bearer: 'udp', host: '10.0.0.1', port: 40000 })).toBe('b');
    records.drop('a');
    expect(records.endpointOf({ bearer: 'udp', host: '10.0.0.1', port: 40000 })).toBe('b');
    expect(records.fromHost('10.0.0.1')).toBe(1);
    records.drop('b');
    expect(records.endpointOf({ bearer: 'udp', host: '10.0.0.1', port: 40000 })).toBeUndefined();
    expect(records.fromHost('10.0.0.1')).toBe(0);
  });

  it('a device that changes its number is found by the new one only', () => {
    const records = new IndexedRecords();
    records.remember(record('a', { msisdn: '4915100000001' }));
    records.remember(record('a', { msisdn: '4915100000002' }));
    expect(records.endpointOf({ bearer: 'sms', msisdn: '4915100000001' })).toBeUndefined();
    expect(records.endpointOf({ bearer: 'sms', msisdn: '4915100000002' })).toBe('a');
  });
});
