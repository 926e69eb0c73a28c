/**
 * Command-line options shared by the benchmark scripts.
 */

/** An integer option ≥ `min`; `fallback` when absent. Throws RangeError naming the option. */
export function integerOption(text: string | boolean | undefined, fallback: number, name: string, min = 1): number {
  if (text === undefined) return fallback;
  if (typeof text !== 'string') throw new RangeError(`"--${name}" needs a value`);
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new RangeError(`"--${name}" must be an integer ≥ ${min}: ${text}`);
  return value;
}
