/** Stable codes that reach the event log, the API and the UI unchanged. */
export type AdapterErrorCode =
  | 'UNKNOWN_ADAPTER'
  | 'ADAPTER_UNAVAILABLE'
  | 'INVALID_ADAPTER_CONFIG'
  | 'INVALID_RUN_OPTIONS'
  /** bubblewrap is missing or unusable: no agent starts (the message names the package). */
  | 'SANDBOX_UNAVAILABLE';

export class AdapterError extends Error {
  override readonly name = 'AdapterError';
  readonly code: AdapterErrorCode;
  readonly data: Record<string, unknown>;

  constructor(code: AdapterErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.data = data;
  }

  toJSON(): { name: string; code: AdapterErrorCode; message: string; data: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, data: this.data };
  }
}
