export type ActorsErrorCode = 'INVALID_SNAPSHOT';

/** The one error this folder throws: a view asked of something that is not a session snapshot. */
export class ActorsError extends Error {
  override readonly name = 'ActorsError';

  constructor(
    readonly code: ActorsErrorCode,
    message: string,
    readonly data: Record<string, unknown>,
  ) {
    super(message);
  }

  toJSON(): { name: string; code: ActorsErrorCode; message: string; data: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, data: this.data };
  }
}
