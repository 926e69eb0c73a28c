/**
 * A small pretty printer for pino's JSON lines, used when stdout is a terminal: one line per
 * record, `HH:MM:SS.mmm LEVEL [modem device] message key=value …`. No worker thread, no extra
 * dependency; the JSON line stays the format for machines.
 */

const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'modem', 'device']);

/** Formats one JSON log line (without its newline); a line that is not JSON comes back as it is. */
export function formatPrettyLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(jsonLine);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return jsonLine;
    record = parsed as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '--:--:--.---';
  const level = (typeof record.level === 'number' ? (LEVEL_NAMES[record.level] ?? String(record.level)) : String(record.level).toUpperCase()).padEnd(5);
  const where = [record.modem, record.device].filter((v) => typeof v === 'string').join(' ');
  const fields = Object.entries(record)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [time, level, where ? `[${where}]` : '', String(record.msg ?? ''), ...fields].filter((part) => part !== '').join(' ');
}

/** A destination for pino that writes {@link formatPrettyLine} lines to `out`. */
export function prettyDestination(out: { write(text: string): unknown }): { write(text: string): void } {
  return {
    write(text: string): void {
      for (const line of text.split('\n')) if (line.length > 0) out.write(`${formatPrettyLine(line)}\n`);
    },
  };
}
