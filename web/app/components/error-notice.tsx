import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { ApiFailure } from '../lib/api.js';

/** What each stable error code means to a person, and what they can do about it. */
const EXPLAIN: Record<string, string> = {
  UNAUTHENTICATED: 'Your token is missing, revoked or wrong. Sign in again with a valid token.',
  FORBIDDEN: 'Your role does not allow this. Ask an admin for a token with a higher role.',
  BAD_JSON: 'The console sent a malformed request. Reload the page and try again.',
  VALIDATION_FAILED: 'Some fields are invalid. Check them and try again.',
  UNSUPPORTED_MEDIA_TYPE: 'The console sent an unsupported request format. Reload the page.',
  PAYLOAD_TOO_LARGE: 'This is too large for the runtime to accept. Shorten it.',
  NOT_FOUND: 'The runtime does not offer this endpoint.',
  METHOD_NOT_ALLOWED: 'The runtime does not accept this action here.',
  SESSION_NOT_FOUND: 'This session does not exist on this runtime, or you are not one of its members.',
  TASK_NOT_FOUND: 'This task does not exist in the session.',
  TOKEN_NOT_FOUND: 'No such token.',
  MEMBER_NOT_FOUND: 'That token is not a member of this session.',
  CHECKPOINT_NOT_FOUND: 'That checkpoint is not in the repository.',
  REPO_NOT_ALLOWED:
    'That path is outside the directories this runtime may use. To allow it, restart the runtime with its directory in THALOGOS_REPO_ROOTS (or --repo-roots), e.g. THALOGOS_REPO_ROOTS=/home/you/code; separate several with ":".',
  NOT_A_REPOSITORY: 'That path is not a git repository.',
  NO_MAIN_BRANCH: 'The repository has neither a main nor a master branch (Saves land there). Create one with a first commit, then try again.',
  UNKNOWN_AGENT: 'The runtime has no agent by that name.',
  AGENT_UNAVAILABLE:
    'No coding agent that could take this task is signed in on the runtime. Sign one in there (then refresh the agents), or pick "command" in the Agent list to run a shell command.',
  SESSION_BUSY: 'The session is saving or frozen; new tasks are accepted once it is active again.',
  SAVE_IN_PROGRESS: 'A Save is already running. Wait for it to finish.',
  ROLLBACK_IN_PROGRESS: 'A rollback is already running. Wait for it to finish.',
  INVALID_STATE: 'The session or task is not in a state that allows this right now.',
  INTERNAL: 'The runtime failed unexpectedly. Its log has the details.',
  SHUTTING_DOWN: 'The runtime is shutting down. Try again once it is back.',
  NETWORK: 'The runtime cannot be reached. Check that it is running.',
};

export function explain(code: string): string {
  return EXPLAIN[code] ?? 'The runtime refused this.';
}

function issuesOf(data: unknown): Array<{ path: string; message: string }> {
  const issues = (data as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as Array<{ path: string; message: string }>) : [];
}

const linkClass = 'mt-1 inline-block text-sm font-medium underline';

/** Where a person goes from a refusal that retrying cannot fix: sign in again, or back to the list. */
function nextStep(code: string, backToSessions: boolean): ReactNode {
  if (code === 'UNAUTHENTICATED') {
    const here = typeof window === 'undefined' ? '/sessions' : window.location.pathname + window.location.search;
    return (
      <Link to={`/sign-in?next=${encodeURIComponent(here)}`} className={linkClass}>
        Sign in again
      </Link>
    );
  }
  if (backToSessions) {
    return (
      <Link to="/sessions" className={linkClass}>
        Back to sessions
      </Link>
    );
  }
  return null;
}

export function ErrorNotice({
  error,
  title,
  onDismiss,
  backToSessions = false,
}: {
  error: ApiFailure | null;
  title?: string;
  onDismiss?: () => void;
  /** Offer the way back to the session list (the page itself cannot work). */
  backToSessions?: boolean;
}) {
  if (!error) return null;
  const issues = issuesOf(error.data);
  return (
    <div role="alert" className="rounded-md border border-rose-300 bg-rose-50 px-3 py-2 text-sm text-rose-900 dark:border-rose-900 dark:bg-rose-950/60 dark:text-rose-200">
      <div className="flex items-start justify-between gap-3">
        <div>
          <p className="font-medium">
            {title ?? 'Refused'} <code className="ml-1 rounded bg-rose-100 px-1 py-0.5 font-mono text-xs dark:bg-rose-900/60">{error.code}</code>
          </p>
          <p className="mt-0.5">{explain(error.code)}</p>
          {error.message ? <p className="mt-0.5 text-xs opacity-80">{error.message}</p> : null}
          {issues.length > 0 ? (
            <ul className="mt-1 list-disc pl-5 text-xs">
              {issues.map((issue) => (
                <li key={`${issue.path}:${issue.message}`}>
                  {issue.path ? <strong>{issue.path}: </strong> : null}
                  {issue.message}
                </li>
              ))}
            </ul>
          ) : null}
          {nextStep(error.code, backToSessions)}
        </div>
        {onDismiss ? (
          <button type="button" onClick={onDismiss} className="text-xs underline" aria-label="Dismiss error">
            Dismiss
          </button>
        ) : null}
      </div>
    </div>
  );
}
