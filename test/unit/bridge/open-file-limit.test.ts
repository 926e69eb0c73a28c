import { describe, expect, it } from 'vitest';
import { assessCapacityFiles, assessOpenFileLimit, parseOpenFileLimit } from '../../../src/bridge/open-file-limit.ts';
import { isGatewayError } from '../../../src/shared/errors.ts';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max file size             unlimited            unlimited            bytes
Max processes             31503                31503                processes
Max open files            20000                524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('open-file limit: /proc/self/limits parser', () => {
  it('reads the soft and hard "Max open files"', () => {
    expect(parseOpenFileLimit(LIMITS)).toEqual({ soft: 20_000, hard: 524_288 });
  });

  it('reads "unlimited" as Infinity, and the line at the very start or end of the text', () => {
    expect(parseOpenFileLimit('Max open files            unlimited            unlimited            files')).toEqual({ soft: Infinity, hard: Infinity });
    expect(parseOpenFileLimit(`Max open files 1024 4096 files\nMax locked memory 1 1 bytes`)).toEqual({ soft: 1024, hard: 4096 });
  });

  it('returns null for text without a well-formed line (other systems, garbage), and stays linear on long input', () => {
    expect(parseOpenFileLimit('')).toBeNull();
    expect(parseOpenFileLimit('Max open files            lots                 more                 files')).toBeNull();
    expect(parseOpenFileLimit('Max open files 12')).toBeNull();
    expect(parseOpenFileLimit('x Max open files 1 2 files')).toBeNull(); // not at a line start
    const long = 'Max open file'.repeat(200_000);
    expect(parseOpenFileLimit(long)).toBeNull();
    expect(parseOpenFileLimit(`${' '.repeat(500_000)}\nMax open files 7 8 files`)).toEqual({ soft: 7, hard: 8 });
  });
});

describe('open-file limit: policy', () => {
  const limit = { soft: 20_000, hard: 20_000 };

  it('is ok when registrations and capacity fit with the reserve, and says nothing when the limit is unknown', () => {
    expect(assessOpenFileLimit(limit, { registrations: 19_000, capacity: 19_000, reserveFiles: 256 })).toMatchObject({ verdict: 'ok', neededFiles: 19_256, message: null });
    expect(assessOpenFileLimit(null, { registrations: 1e6, capacity: 1e6, reserveFiles: 256 }).verdict).toBe('unknown');
  });

  it('warns when the registrations need more than the soft limit', () => {
    const verdict = assessOpenFileLimit(limit, { registrations: 19_900, capacity: 0, reserveFiles: 256 });
    expect(verdict.verdict).toBe('low');
    expect(verdict.message).toMatch(/19900 registered devices .* need 20156 open files, but the limit is 20000/);
  });

  it('refuses a configured capacity that even the hard limit cannot hold, with GW_ERR_RELAY_FILE_LIMIT', () => {
    let thrown: unknown;
    try {
      assessOpenFileLimit(limit, { registrations: 10, capacity: 100_000, reserveFiles: 256 });
    } catch (error) {
      thrown = error;
    }
    expect(isGatewayError(thrown) && thrown.code).toBe('GW_ERR_RELAY_FILE_LIMIT');
    expect(isGatewayError(thrown) && thrown.details).toMatchObject({ capacity: 100_000, hard: 20_000, neededFiles: 100_256 });
    expect(isGatewayError(thrown) && thrown.message).toBe('coreSockets.capacity 100000 needs 100256 open files, but the hard limit is 20000: raise LimitNOFILE to at least 100256');
  });

  it('judges the configured capacity alone (before Redis is read) by the same policy, returning the error instead of throwing it', () => {
    const tooMany = assessCapacityFiles(limit, 100_000);
    expect(isGatewayError(tooMany) && tooMany.code).toBe('GW_ERR_RELAY_FILE_LIMIT');
    expect(assessCapacityFiles(limit, 19_744)).toMatchObject({ verdict: 'ok', neededFiles: 20_000 });
    expect(isGatewayError(assessCapacityFiles(limit, 19_745))).toBe(true);
    expect(assessCapacityFiles({ soft: 1024, hard: 20_000 }, 10_000)).toMatchObject({ verdict: 'low', neededFiles: 10_256 });
    expect(assessCapacityFiles(limit, 0)).toMatchObject({ verdict: 'ok', neededFiles: 256 }); // no capacity configured
    expect(assessCapacityFiles(null, 1e6)).toMatchObject({ verdict: 'unknown' });
  });
});
