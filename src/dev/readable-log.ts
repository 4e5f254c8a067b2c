/**
 * The demo's log lines for people: `13:04:05 WARN  message  key=value …` instead of pino's JSON lines, so its
 * terminal stays readable (the gateway itself always logs JSON, for machines). Written here rather than taken
 * from pino-pretty: a dozen lines, for one level of a few lines, not worth a dependency.
 */
import type { DestinationStream } from 'pino';

/** pino's numeric levels, by name. */
const LEVELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Fields every line has, shown otherwise (level, time, message) or not at all (the same on every line). */
const SHOWN_APART = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service']);

const valueText = (value: unknown): string =>
  typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);

/**
 * One pino JSON line as a line for people: local time, level, message, then every other field as `key=value`
 * (objects as JSON). A line that is not a JSON object is returned as it is.
 */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return line;
    entry = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toTimeString().slice(0, 8) : '--:--:--';
  const level = (LEVELS[entry.level as number] ?? String(entry.level)).padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key]) => !SHOWN_APART.has(key))
    .map(([key, value]) => `${key}=${valueText(value)}`);
  return `${[time, level, String(entry.msg ?? ''), ...fields].join(' ')}\n`;
}

/** A pino destination that writes each line to `out` (stdout unless given) as `formatLogLine` makes it. */
export function readableLog(out: { write(text: string): unknown } = process.stdout): DestinationStream {
  return { write: (line: string) => void out.write(formatLogLine(line)) };
}
