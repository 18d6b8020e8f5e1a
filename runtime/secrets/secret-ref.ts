// Resolving a secret reference (contracts/secret-ref.ts) when it is used: webhook signing secrets,
// PagerDuty keys, agent credentials. Values are never stored, logged or returned by the API.
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { SecretRefSchema, type SecretRef } from '../../contracts/secret-ref.js';

export { SecretRefSchema, type SecretRef };

/** The secret could not be resolved; the message names the reference, never a value. */
export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
  readonly code = 'WEBHOOK_SECRET_UNAVAILABLE';
}

const COMMAND_TIMEOUT_MS = 10_000;

export function describeRef(ref: SecretRef): string {
  if ('env' in ref) return `environment variable ${ref.env}`;
  if ('file' in ref) return `file ${ref.file}`;
  return `secretCommand ${ref.secretCommand[0]}`;
}

export async function resolveSecret(ref: SecretRef, env: NodeJS.ProcessEnv): Promise<string> {
  const value = await read(ref, env);
  if (!value) throw new SecretUnavailableError(`${describeRef(ref)} gives an empty secret`);
  return value;
}

async function read(ref: SecretRef, env: NodeJS.ProcessEnv): Promise<string> {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined) throw new SecretUnavailableError(`environment variable ${ref.env} is not set`);
    return value.trim();
  }
  if ('file' in ref) {
    const info = await stat(ref.file).catch((error: NodeJS.ErrnoException) => {
      throw new SecretUnavailableError(`cannot read secret file ${ref.file}: ${error.code ?? 'error'}`);
    });
    // Group- or world-readable secrets have already leaked to every other account: refuse them.
    if ((info.mode & 0o077) !== 0) throw new SecretUnavailableError(`secret file ${ref.file} has mode ${(info.mode & 0o777).toString(8)}; it must be 0600 (or 0400)`);
    return (await readFile(ref.file, 'utf8')).trim();
  }
  const [command, ...args] = ref.secretCommand;
  return new Promise((resolve, reject) => {
    execFile(command!, args, { timeout: COMMAND_TIMEOUT_MS, env, maxBuffer: 64 * 1024 }, (error, stdout) => {
      // The command's stderr may echo the secret: only its exit status is reported.
      if (error) reject(new SecretUnavailableError(`secretCommand ${command} failed (${(error as NodeJS.ErrnoException).code ?? (error as { signal?: string }).signal ?? 'error'})`));
      else resolve(stdout.trim());
    });
  });
}
