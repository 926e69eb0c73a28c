import { describe, expect, it } from 'vitest';
import { CoreSlots, formatCoreAddress, parseCoreAddress } from '../../../src/bridge/core-slots.ts';

describe('core slots: the free list of core-facing addresses', () => {
  it('hands out every address of hosts × range once, alternating between the hosts, then null', () => {
    const slots = new CoreSlots(['10.0.0.1', '10.0.0.2'], [5000, 5002]);
    expect(slots.capacity).toBe(6);
    const taken = Array.from({ length: 6 }, () => formatCoreAddress(slots.next()!));
    expect(taken).toEqual(['10.0.0.1:5000', '10.0.0.2:5000', '10.0.0.1:5001', '10.0.0.2:5001', '10.0.0.1:5002', '10.0.0.2:5002']);
    expect(slots.next()).toBeNull();
  });

  it('skips addresses marked taken, reuses given-back ones first, and ignores foreign hosts', () => {
    const slots = new CoreSlots(['h'], [1, 4]);
    expect(slots.take({ host: 'h', port: 2 })).toBe(true);
    expect(slots.take({ host: 'other', port: 2 })).toBe(false);
    expect(slots.next()).toEqual({ host: 'h', port: 1 });
    expect(slots.next()).toEqual({ host: 'h', port: 3 });
    slots.give({ host: 'h', port: 2 });
    expect(slots.next()).toEqual({ host: 'h', port: 2 });
    expect(slots.next()).toEqual({ host: 'h', port: 4 });
    expect(slots.next()).toBeNull();
    slots.give({ host: 'h', port: 4 });
    slots.give({ host: 'h', port: 4 }); // twice: still one address
    expect(slots.next()).toEqual({ host: 'h', port: 4 });
    expect(slots.next()).toBeNull();
  });

  it('parses the Redis form, a bare port as the first host, and refuses garbage', () => {
    expect(parseCoreAddress('127.0.0.2:40001', 'x')).toEqual({ host: '127.0.0.2', port: 40_001 });
    expect(parseCoreAddress('40001', '0.0.0.0')).toEqual({ host: '0.0.0.0', port: 40_001 });
    expect(parseCoreAddress('::1:40001', 'x')).toEqual({ host: '::1', port: 40_001 });
    for (const bad of ['', 'h:', 'h:0', 'h:70000', ':5', 'h:12a']) expect(parseCoreAddress(bad, 'x')).toBeNull();
  });
});
