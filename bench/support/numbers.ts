/**
 * Number formatting shared by the benchmarks' reports.
 */

/** `value` rounded to `digits` decimals, as a number (for JSON reports and tables). */
export function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

/** The median of `values` (the mean of the two middle ones for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
