import { Writable } from 'node:stream';

/**
 * A small stand-in for pino-pretty (which is not a dependency): on a terminal, each pino JSON line
 * becomes `HH:MM:SS LEVEL message key=value ...`, so a person can read the log next to the start
 * banner. Anything that is not a pino line passes through unchanged.
 */
const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '36' },
  30: { name: 'INFO ', color: '32' },
  40: { name: 'WARN ', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
};
/** Fields every line has or that say nothing to a person reading a terminal. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'v']);

export function formatLogLine(line: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.level !== 'number') return line;
  const level = LEVELS[entry.level] ?? { name: String(entry.level).padEnd(5), color: '0' };
  const time = typeof entry.time === 'number' ? new Date(entry.time).toTimeString().slice(0, 8) : '';
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const extras: string[] = [];
  let stack = '';
  for (const [key, value] of Object.entries(entry)) {
    if (HIDDEN.has(key)) continue;
    if (key === 'err' && typeof value === 'object' && value !== null) {
      const err = value as { message?: string; stack?: string; code?: string };
      extras.push(`err=${JSON.stringify(err.code ? `${err.code}: ${err.message}` : err.message)}`);
      if (err.stack) stack = `\n${err.stack.replace(/^/gm, '    ')}`;
      continue;
    }
    extras.push(`${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  }
  const message = typeof entry.msg === 'string' ? entry.msg : '';
  return `${paint('90', time)} ${paint(level.color, level.name)} ${message}${extras.length ? `  ${paint('90', extras.join(' '))}` : ''}${stack}`;
}

/** A stream pino can write to; it formats each complete line onto `target`. */
export function prettyStream(target: NodeJS.WritableStream, color: boolean): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const text = lines.map((line) => `${formatLogLine(line, color)}\n`).join('');
      if (text) target.write(text);
      callback();
    },
    final(callback) {
      if (pending) target.write(`${formatLogLine(pending, color)}\n`);
      callback();
    },
  });
}
