import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AdaptersConfigSchema } from '../../adapters/index.js';
import { BranchRetentionSchema, DEFAULT_BRANCH_RETENTION } from '../sessions/branch-retention.js';
import { ConfigError } from './config.js';

/**
 * The runtime's config file (THALOGOS_CONFIG, default <data dir>/config.json). Optional: a missing
 * file means defaults; an invalid one stops the server with every problem listed.
 */
export const ConfigFileSchema = z.strictObject({
  /**
   * Agent runs, gates and `command` tasks run in a bubblewrap sandbox ("on", the default; docs/adapters.md).
   * "off" is the operator's explicit opt-out: warned about at start and shown by GET /api/agents.
   */
  sandbox: z.enum(['on', 'off']).default('on'),
  adapters: AdaptersConfigSchema.default(AdaptersConfigSchema.parse({})),
  sessions: z
    .strictObject({
      maxParallel: z.number().int().min(1).max(64).default(4),
      taskTimeoutMs: z.number().int().min(1000).max(24 * 3600 * 1000).default(30 * 60 * 1000),
      maxRetries: z.number().int().min(0).max(10).default(2),
    })
    .default({ maxParallel: 4, taskTimeoutMs: 30 * 60 * 1000, maxRetries: 2 }),
  git: z
    .strictObject({
      committer: z.strictObject({ name: z.string().min(1), email: z.string().min(3) }).optional(),
      /** An armored OpenPGP private key file; commits and checkpoint tags are signed with it. */
      signingKeyFile: z.string().min(1).optional(),
      /** Name of the environment variable holding the key's passphrase (never the passphrase itself). */
      signingKeyPassphraseEnv: z.string().min(1).optional(),
      /**
       * When the branches (and worktrees) of ended tasks are deleted, checked after each published
       * Save; a branch with commits neither main nor a checkpoint tag reaches is always kept.
       */
      pruneTaskBranches: BranchRetentionSchema.default(DEFAULT_BRANCH_RETENTION),
    })
    .default({ pruneTaskBranches: DEFAULT_BRANCH_RETENTION }),
  /** Webhook deliveries (docs/runbooks/webhooks.md): per-attempt timeout, retry budget and backoff. */
  webhooks: z
    .strictObject({
      timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
      maxAttempts: z.number().int().min(1).max(50).default(8),
      backoffBaseMs: z.number().int().min(10).max(3_600_000).default(5_000),
      backoffMaxMs: z.number().int().min(10).max(24 * 3_600_000).default(3_600_000),
    })
    .refine((value) => value.backoffMaxMs >= value.backoffBaseMs, { message: 'backoffMaxMs must be at least backoffBaseMs', path: ['backoffMaxMs'] })
    .default({ timeoutMs: 10_000, maxAttempts: 8, backoffBaseMs: 5_000, backoffMaxMs: 3_600_000 }),
});
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

export async function loadConfigFile(file: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return ConfigFileSchema.parse({});
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`, [file]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`, [file]);
  }
  const parsed = ConfigFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(`config file ${file} is invalid: ${issues.join('; ')}`, issues);
  }
  return parsed.data;
}

export async function loadSigningKey(config: ConfigFile, env: NodeJS.ProcessEnv, baseDir: string) {
  if (!config.git.signingKeyFile) return undefined;
  const keyPath = path.resolve(baseDir, config.git.signingKeyFile);
  const armoredPrivateKey = await readFile(keyPath, 'utf8').catch((error: Error) => {
    throw new ConfigError(`cannot read git.signingKeyFile ${keyPath}: ${error.message}`, ['git.signingKeyFile']);
  });
  const passphraseEnv = config.git.signingKeyPassphraseEnv;
  const passphrase = passphraseEnv ? env[passphraseEnv] : undefined;
  return passphrase ? { armoredPrivateKey, passphrase } : { armoredPrivateKey };
}
