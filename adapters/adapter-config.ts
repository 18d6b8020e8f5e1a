import { z } from 'zod';
import { SecretRefSchema } from '../contracts/secret-ref.js';

/** Per-adapter settings from the runtime's config file (`adapters.adapters.<id>`). */
export const AdapterConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** Absolute path or command name; when absent: node_modules/.bin, then PATH. */
  bin: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  /** Appended before the prompt, e.g. codex `-c model_provider=...`. */
  args: z.array(z.string()).default([]),
  /** Added to the child's environment (and redacted from every sink). */
  env: z.record(z.string(), z.string()).default({}),
  /**
   * Credentials for the child's environment from a secret store, by reference: `{env}`, `{file}`
   * (mode 0600/0400) or `{secretCommand: [argv]}` (a vault CLI). Resolved at each handshake (start,
   * `thalogos agents --refresh`), held in memory only, redacted from every sink.
   */
  envFrom: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), SecretRefSchema).default({}),
  // setTimeout's limit: a larger value fires at once, i.e. every run would time out immediately.
  timeoutMs: z.number().int().positive().max(2_147_483_647).default(1_800_000),
  /** 'none': the run gets no network at all (a loopback of its own). The CLIs need their model API. */
  network: z.enum(['on', 'none']).default('on'),
  /** stdout + stderr bytes one run may print before it is stopped (AGENT_OUTPUT_LIMIT). */
  maxOutputBytes: z.number().int().positive().max(2 ** 40).default(256 * 1024 * 1024),
});
export type AdapterConfig = z.output<typeof AdapterConfigSchema>;

export const AdaptersConfigSchema = z.object({
  order: z.array(z.string().min(1)).default(['codex', 'claude', 'gemini', 'command']),
  adapters: z.record(z.string(), AdapterConfigSchema).default({}),
  /** ACP agents: how long a permission request waits for a person before it is denied (5 min). */
  permissionTimeoutMs: z.number().int().positive().max(2_147_483_647).default(300_000),
});
export type AdaptersConfig = z.output<typeof AdaptersConfigSchema>;
/** What a caller may pass: every field with a default may be left out. */
export type AdaptersConfigInput = z.input<typeof AdaptersConfigSchema>;
