/**
 * Number formatting shared by the benchmarks' reports.
 */

/** `value` rounded to `digits` decimals, as a number (for JSON reports and tables). */
export function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
