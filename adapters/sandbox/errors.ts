/** Stable codes of sandbox failures; they reach the event log, the API and the UI unchanged. */
export type SandboxErrorCode =
  /** bubblewrap is not installed or cannot create namespaces here. */
  | 'SANDBOX_UNAVAILABLE'
  /** The run's sandbox could not be set up (a path to bind is missing, a cgroup cannot be made). */
  | 'SANDBOX_SETUP_FAILED';

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  readonly code: SandboxErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: SandboxErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.data = data;
  }

  toJSON(): { name: string; code: SandboxErrorCode; message: string; data: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, data: this.data };
  }
}

/** The one sentence every "no bubblewrap" message carries, so the fix is always named. */
export const INSTALL_HINT = 'install the Debian package `bubblewrap` (apt-get install bubblewrap), or set "sandbox": "off" in the config file to run agents unconfined';
