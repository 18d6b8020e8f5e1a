import { z } from 'zod';

/**
 * Where a secret comes from: an environment variable, a file (mode 0600 or 0400), or a command
 * printing it (a vault CLI; argv, no shell). Only the reference is ever stored or logged; the value
 * is resolved when used (runtime/secrets/secret-ref.ts).
 */
export const SecretRefSchema = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }),
  z.strictObject({ file: z.string().min(1).max(4096).refine((file) => file.startsWith('/'), 'an absolute path') }),
  /** argv of a command printing the secret on stdout (e.g. a vault CLI); run without a shell. */
  z.strictObject({ secretCommand: z.array(z.string().min(1).max(4096)).min(1).max(64) }),
]);
export type SecretRef = z.infer<typeof SecretRefSchema>;
