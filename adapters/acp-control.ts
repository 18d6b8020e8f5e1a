/**
 * What a live ACP run offers besides its event stream: people's messages to the agent and the
 * agent's permission requests. Only interactive adapters (ACP) have these; the one-shot CLIs do not.
 */

/** One choice the agent offers for a tool call (ACP `PermissionOption`). */
export interface PermissionOption {
  optionId: string;
  name: string;
  kind: 'allow_once' | 'allow_always' | 'reject_once' | 'reject_always';
}

/** An agent's `session/request_permission`, redacted, as people see it. */
export interface PermissionRequest {
  /** Unique within the run (`<runId>-p<n>`). */
  requestId: string;
  toolCallId: string;
  title: string;
  /** ACP tool kind: edit, execute, delete, fetch, ...; null when the agent did not say. */
  toolKind: string | null;
  /** Files the tool would touch. */
  locations: string[];
  /** The command, or a short preview of the change (bounded). */
  detail: string | null;
  options: PermissionOption[];
}

/** The answer to a permission request: an option the agent offered, or a denial. */
export type PermissionDecision =
  | { outcome: 'selected'; optionId: string }
  | { outcome: 'denied'; reason: string };

/**
 * Asks the people on the session. The promise must settle (a timeout denies); `signal` aborts when
 * the turn or the run ends first, and the request is then answered for the agent as cancelled.
 */
export type PermissionAsker = (request: PermissionRequest, signal: AbortSignal) => Promise<PermissionDecision>;

export type SteerResult =
  | { accepted: true; delivery: 'next_turn' | 'interrupt' }
  | { accepted: false; reason: string };

/** Steering a live ACP run. */
export interface RunControl {
  /**
   * A person's message to the agent. Queued as the next prompt once the current turn ends; with
   * `interrupt` the current turn is cancelled first (`session/cancel`). Refused once the run is ending.
   */
  send(text: string, opts?: { interrupt?: boolean }): SteerResult;
}

/** Longest `detail` kept in a permission request. */
export const MAX_PERMISSION_DETAIL = 4_000;
