/** Environment variable names whose values are treated as secrets. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|AUTH/i;
const MIN_SECRET_LENGTH = 8;
export const REDACTED = '[REDACTED]';

// Well-known key shapes, caught even when they never passed through our environment
// (e.g. a key the agent read from a file and echoed).
const KEY_PATTERNS: readonly RegExp[] = [
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
  /\bxox[abpr]-[A-Za-z0-9-]{10,}/g,
  // Thalogos's own bearer tokens.
  /\bthg_[A-Za-z0-9_-]{43}/g,
];

export interface Redactor {
  text(s: string): string;
  /** Deep copy with every string (and object key) redacted; safe to hand to any sink. */
  value<T>(v: T): T;
  /** How many literal secrets are redacted; never log the secrets themselves. */
  readonly secretCount: number;
  /** Secrets learned later (resolved from a secret store): redacted from then on. */
  add(secrets: Iterable<string>): void;
}

/** Secret values found in an environment: names matching KEY|TOKEN|SECRET|PASSWORD, >= 8 chars. */
export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.length >= MIN_SECRET_LENGTH && SECRET_NAME.test(name)) out.push(value);
  }
  return out;
}

export function createRedactor(opts: { env?: NodeJS.ProcessEnv; extra?: Iterable<string> }): Redactor {
  const set = new Set<string>(secretsFromEnv(opts.env ?? {}));
  for (const s of opts.extra ?? []) if (s.length >= MIN_SECRET_LENGTH) set.add(s);
  // Longest first, so a secret that contains another is replaced whole.
  let secrets = [...set].sort((a, b) => b.length - a.length);
  const add = (more: Iterable<string>): void => {
    for (const s of more) if (s.length >= MIN_SECRET_LENGTH) set.add(s);
    secrets = [...set].sort((a, b) => b.length - a.length);
  };
  const text = (s: string): string => {
    let out = s;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    for (const re of KEY_PATTERNS) out = out.replace(re, REDACTED);
    return out;
  };
  const value = <T>(v: T): T => redactValue(v, text, new WeakMap()) as T;
  return { text, value, add, get secretCount() { return secrets.length; } };
}

/** Redacts the secrets of `env` (see `secretsFromEnv`) and well-known key shapes from `text`. */
export function redactSecrets(text: string, env: NodeJS.ProcessEnv): string {
  return createRedactor({ env }).text(text);
}

function redactValue(v: unknown, text: (s: string) => string, seen: WeakMap<object, unknown>): unknown {
  if (typeof v === 'string') return text(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return seen.get(v);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const item of v) out.push(redactValue(item, text, seen));
    return out;
  }
  if (v instanceof Error) return { name: v.name, message: text(v.message) };
  const out: Record<string, unknown> = {};
  seen.set(v, out);
  for (const [k, item] of Object.entries(v)) out[text(k)] = redactValue(item, text, seen);
  return out;
}
