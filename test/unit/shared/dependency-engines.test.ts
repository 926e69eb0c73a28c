/**
 * Every package the gateway installs for production (package-lock.json, dev packages left out)
 * accepts the Node.js versions this package says it runs on (`engines.node` of package.json:
 * `>=20`), so `npm install` on the Node 20 the README names prints no EBADENGINE warning. A
 * fresh-clone trial found cookie@2.0.2 (engines `>=22`, under fastify's light-my-request); two
 * such pins live in package.json's `overrides`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url);

interface LockPackage {
  readonly version?: string;
  readonly dev?: boolean;
  readonly engines?: { readonly node?: string } | readonly string[];
}

type Version = readonly [number, number, number];

/** `20`, `20.1`, `20.x`, `v20.1.2` as [major, minor, patch]; missing or `x` parts are 0. */
function parseVersion(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text.replace(/^v/, '').split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : 0));
  return [major, minor, patch];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Whether `version` satisfies an npm `engines` range of the forms found in lock files: `||`
 * alternatives of space-separated comparators `>=A`, `>A`, `<=A`, `<A`, `^A`, `~A`, or a bare `A`
 * (the whole of that major, or of that major.minor).
 */
function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((alternative) => {
    const comparators = alternative.trim().replace(/([<>=^~]+)\s+/g, '$1').split(/\s+/).filter((c) => c !== '');
    return comparators.every((comparator) => {
      const [, operator = '', bound = ''] = /^([<>=^~]*)(.*)$/.exec(comparator) ?? [];
      const target = parseVersion(bound);
      const order = compare(version, target);
      switch (operator) {
        case '>=': return order >= 0;
        case '>': return order > 0;
        case '<=': return order <= 0;
        case '<': return order < 0;
        case '^': return version[0] === target[0] && order >= 0;
        case '~': return version[0] === target[0] && version[1] === target[1] && order >= 0;
        default: {
          const parts = bound.split('.').filter((part) => /^\d+$/.test(part)).length;
          return version[0] === target[0] && (parts < 2 || version[1] === target[1]) && (parts < 3 || version[2] === target[2]);
        }
      }
    });
  });
}

describe('the npm engines range check of this test', () => {
  it('reads the forms the lock file holds', () => {
    expect(satisfies([20, 0, 0], '18 || 20 || >=22')).toBe(true);
    expect(satisfies([21, 1, 0], '18 || 20 || >=22')).toBe(false);
    expect(satisfies([20, 20, 2], '>=22')).toBe(false);
    expect(satisfies([20, 0, 0], '^16 || ^18 || >=20')).toBe(true);
    expect(satisfies([20, 0, 0], '>= 10.x')).toBe(true);
    expect(satisfies([14, 16, 0], '>=16 || 14 >=14.17')).toBe(false);
    expect(satisfies([14, 17, 0], '>=16 || 14 >=14.17')).toBe(true);
    expect(satisfies([20, 0, 0], '^12.22 || ^14.13 || >=16')).toBe(true);
    expect(satisfies([20, 0, 0], '<20')).toBe(false);
  });
});

describe('production dependencies', () => {
  it('all accept the Node.js versions package.json names, and the one running the tests', () => {
    const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { engines: { node: string } };
    const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8')) as { packages: Record<string, LockPackage> };
    const lowest = parseVersion(/\d+(\.\d+){0,2}/.exec(manifest.engines.node)?.[0] ?? '0');
    const running = parseVersion(process.versions.node);
    const refusing: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || entry.dev === true || Array.isArray(entry.engines)) continue;
      const range = (entry.engines as { node?: string } | undefined)?.node;
      if (range === undefined) continue;
      for (const version of [lowest, running]) {
        if (!satisfies(version, range)) refusing.push(`${path.replace(/^.*node_modules\//, '')}@${entry.version ?? '?'} (engines ${range}) refuses ${version.join('.')}`);
      }
    }
    expect(refusing).toEqual([]);
  });
});
