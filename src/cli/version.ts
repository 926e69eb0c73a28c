/**
 * The package's version, for `smsbridge --version`: read from package.json, which sits two
 * folders above this module both in src/cli/ and in the compiled dist/cli/.
 */
import { readFileSync } from 'node:fs';

/** The `version` of package.json, or `unknown` when the file cannot be read. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
