/** A failed run's cause: `transient` failures may be retried with backoff, the others never. */
export interface RunFailure {
  code: string;
  message: string;
  transient: boolean;
}

export type FailureCode =
  | 'AGENT_AUTH'
  | 'AGENT_QUOTA'
  | 'AGENT_USAGE'
  | 'AGENT_RATE_LIMITED'
  | 'AGENT_UPSTREAM'
  | 'AGENT_NETWORK'
  | 'AGENT_TIMEOUT'
  | 'AGENT_CANCELLED'
  | 'AGENT_SPAWN_FAILED'
  | 'AGENT_RESUME_FAILED'
  | 'AGENT_OUTPUT_LIMIT'
  /** The run tried to change what its sandbox protects (e.g. replaced the worktree's .git link). */
  | 'AGENT_SANDBOX_VIOLATION'
  /** The CLI's tools were all refused by its own sandbox: the run did nothing it claims. */
  | 'AGENT_SANDBOX_BLOCKED'
  | 'AGENT_FAILED';

const TRANSIENT: ReadonlySet<FailureCode> = new Set(['AGENT_RATE_LIMITED', 'AGENT_UPSTREAM', 'AGENT_NETWORK', 'AGENT_TIMEOUT']);

// Billing/quota exhausted: retrying will not help (OpenAI even sends it as a 429), so it comes first.
const QUOTA = /insufficient_quota|check your plan and billing|exceeded your current quota|credit balance is too low|billing hard limit|payment required/i;

// An HTTP status only where the text says it is one ("status 401", `"code": 503`, "HTTP/1.1 500",
// "429 Too Many Requests"): a bare number may be a line, a port or a token count.
const STATUS_PATTERNS: readonly RegExp[] = [
  /\bstatus(?:[ _-]?code)?["']?\s*[:= ]\s*\(?([1-5]\d\d)\b/i,
  /\berror[ _-]?code["']?\s*[:= ]\s*([1-5]\d\d)\b/i,
  /"code"\s*:\s*([1-5]\d\d)\b/,
  /\bHTTP(?:\/\d(?:\.\d)?)?\s+([1-5]\d\d)\b/i,
  /\b([45]\d\d)\s+(?:Unauthorized|Forbidden|Payment Required|Not Found|Request Timeout|Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout|Bad Request|Unprocessable)\b/i,
];

/** The class of an HTTP status, or null when the status says nothing useful. */
export function codeForHttpStatus(status: number): FailureCode | null {
  if (status === 401 || status === 403 || status === 407) return 'AGENT_AUTH';
  if (status === 402) return 'AGENT_QUOTA';
  if (status === 429) return 'AGENT_RATE_LIMITED';
  if (status === 408) return 'AGENT_NETWORK';
  if (status >= 500 && status <= 599) return 'AGENT_UPSTREAM';
  if (status === 400 || status === 404 || status === 413 || status === 422) return 'AGENT_USAGE';
  return null;
}

// Ordered: the first match wins. No bare numbers here (statuses are read above).
const RULES: ReadonlyArray<[FailureCode, RegExp]> = [
  // `/login` only as a command to run ("Please run /login"), never inside a URL path.
  ['AGENT_AUTH', /unauthori[sz]ed|unauthenticated|authentication (?:failed|error|required)|invalid[ _-]?api[ _-]?key|invalid x-api-key|not logged in|please log ?in|(?<![\w./-])\/login\b|(?:invalid|missing|expired|no) credentials|permission_denied|api key not valid|forbidden/i],
  ['AGENT_RATE_LIMITED', /rate.?limit|too many requests|resource_exhausted|quota|overloaded/i],
  ['AGENT_UPSTREAM', /internal server error|bad gateway|service unavailable|gateway timeout|server_error|api_error|upstream|high demand|try again later|\bunavailable\b/i],
  ['AGENT_NETWORK', /econnrefused|econnreset|etimedout|enotfound|eai_again|socket hang up|fetch failed|network|connection (?:refused|reset|closed|error)|stream disconnected|timed? ?out/i],
  ['AGENT_USAGE', /unexpected argument|unknown option|unrecognized|usage:|invalid value|bad input|not a git repository|untrusted|invalid (?:model|request)|model .* not (?:found|supported)/i],
];

export function isTransient(code: string): boolean {
  return TRANSIENT.has(code as FailureCode);
}

/** The HTTP status a failure text states explicitly (see STATUS_PATTERNS), or null. */
export function statusInText(text: string): number | null {
  for (const re of STATUS_PATTERNS) {
    const m = re.exec(text);
    if (m?.[1] !== undefined) return Number(m[1]);
  }
  return null;
}

/** Quota wording, then a stated HTTP status, then wording; null when nothing matched. */
function classifyOrNull(text: string, httpStatus: number | null = null): FailureCode | null {
  if (QUOTA.test(text)) return 'AGENT_QUOTA';
  const status = httpStatus ?? statusInText(text);
  const byStatus = status === null ? null : codeForHttpStatus(status);
  if (byStatus !== null) return byStatus;
  for (const [code, re] of RULES) if (re.test(text)) return code;
  return null;
}

/** Classifies a failure from whatever text the CLI left (its error event, result, stderr). */
export function classifyFailureText(text: string, fallback: FailureCode = 'AGENT_FAILED'): FailureCode {
  return classifyOrNull(text) ?? fallback;
}

export function failure(code: FailureCode, message: string): RunFailure {
  return { code, message, transient: isTransient(code) };
}

/**
 * The common case for CLIs: success when the exit is 0 and the stream did not report a failure.
 * Otherwise the most specific evidence decides, in order: an exit code in `exitCodes` (e.g. codex
 * 2, gemini 41), the HTTP status the stream reported as data, the CLI's own error text, and only
 * then the stderr tail (whose chatter, like "Loaded cached credentials.", must not override them).
 */
export function classifyStandardExit(
  exit: { exitCode: number | null; signal: string | null; parsed: { reportedStatus: 'succeeded' | 'failed' | null; errorText: string | null; httpStatus?: number | null | undefined }; stderrTail: string },
  exitCodes: Readonly<Record<number, FailureCode>> = {},
): { status: 'succeeded' | 'failed'; error: RunFailure | null } {
  if (exit.exitCode === 0 && exit.parsed.reportedStatus !== 'failed') return { status: 'succeeded', error: null };
  const detail = exit.parsed.errorText ?? lastLines(exit.stderrTail, 5)
    ?? (exit.signal ? `killed by ${exit.signal}` : `exited with code ${String(exit.exitCode)}`);
  const mapped = exit.exitCode !== null ? exitCodes[exit.exitCode] : undefined;
  const { errorText, httpStatus } = exit.parsed;
  const fromStatus = httpStatus === null || httpStatus === undefined ? null : codeForHttpStatus(httpStatus);
  const fromError = errorText === null ? null : classifyOrNull(errorText, null);
  const code = mapped
    ?? (fromError === 'AGENT_QUOTA' ? fromError : fromStatus ?? fromError)
    ?? classifyOrNull(exit.stderrTail) ?? 'AGENT_FAILED';
  return { status: 'failed', error: failure(code, detail) };
}

function lastLines(text: string, n: number): string | null {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.length > 0 ? lines.slice(-n).join('\n') : null;
}
