/** A failed run's cause: `transient` failures may be retried with backoff, the others never. */
export interface RunFailure {
  code: string;
  message: string;
  transient: boolean;
}

export type FailureCode =
  | 'AGENT_AUTH'
  | 'AGENT_USAGE'
  | 'AGENT_RATE_LIMITED'
  | 'AGENT_UPSTREAM'
  | 'AGENT_NETWORK'
  | 'AGENT_TIMEOUT'
  | 'AGENT_CANCELLED'
  | 'AGENT_SPAWN_FAILED'
  | 'AGENT_FAILED';

const TRANSIENT: ReadonlySet<FailureCode> = new Set(['AGENT_RATE_LIMITED', 'AGENT_UPSTREAM', 'AGENT_NETWORK', 'AGENT_TIMEOUT']);

// Ordered: the first match wins, so auth beats a generic "error 4xx" and 429 beats 5xx wording.
const RULES: ReadonlyArray<[FailureCode, RegExp]> = [
  ['AGENT_AUTH', /\b401\b|\b403\b|unauthori[sz]ed|authentication|invalid[ _-]?api[ _-]?key|invalid x-api-key|not logged in|please log ?in|\/login|credentials|permission_denied|api key not valid|forbidden/i],
  ['AGENT_RATE_LIMITED', /\b429\b|rate.?limit|too many requests|resource_exhausted|quota|overloaded/i],
  ['AGENT_UPSTREAM', /\b5\d\d\b|internal server error|bad gateway|service unavailable|gateway timeout|server_error|api_error|upstream|high demand|temporar(?:y|ily)|try again later|unavailable/i],
  ['AGENT_NETWORK', /econnrefused|econnreset|etimedout|enotfound|eai_again|socket hang up|fetch failed|network|connection (?:refused|reset|closed|error)|stream disconnected|timed? ?out/i],
  ['AGENT_USAGE', /unexpected argument|unknown option|unrecognized|usage:|invalid value|bad input|not a git repository|untrusted|invalid (?:model|request)|model .* not (?:found|supported)|\b400\b|\b404\b/i],
];

export function isTransient(code: string): boolean {
  return TRANSIENT.has(code as FailureCode);
}

/** Classifies a failure from whatever text the CLI left (its error event, result, stderr). */
export function classifyFailureText(text: string, fallback: FailureCode = 'AGENT_FAILED'): FailureCode {
  for (const [code, re] of RULES) if (re.test(text)) return code;
  return fallback;
}

export function failure(code: FailureCode, message: string): RunFailure {
  return { code, message, transient: isTransient(code) };
}

/**
 * The common case for CLIs: success when the exit is 0 and the stream did not report a failure;
 * otherwise classify from the CLI's own error text, then the stderr tail. `exitCodes` maps
 * CLI-specific codes (e.g. codex 2, gemini 41) that decide the class on their own.
 */
export function classifyStandardExit(
  exit: { exitCode: number | null; signal: string | null; parsed: { reportedStatus: 'succeeded' | 'failed' | null; errorText: string | null }; stderrTail: string },
  exitCodes: Readonly<Record<number, FailureCode>> = {},
): { status: 'succeeded' | 'failed'; error: RunFailure | null } {
  if (exit.exitCode === 0 && exit.parsed.reportedStatus !== 'failed') return { status: 'succeeded', error: null };
  const detail = exit.parsed.errorText ?? lastLines(exit.stderrTail, 5)
    ?? (exit.signal ? `killed by ${exit.signal}` : `exited with code ${String(exit.exitCode)}`);
  const mapped = exit.exitCode !== null ? exitCodes[exit.exitCode] : undefined;
  const code = mapped ?? classifyFailureText(`${exit.parsed.errorText ?? ''}\n${exit.stderrTail}`);
  return { status: 'failed', error: failure(code, detail) };
}

function lastLines(text: string, n: number): string | null {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.length > 0 ? lines.slice(-n).join('\n') : null;
}
