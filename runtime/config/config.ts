import path from 'node:path';
import { z } from 'zod';

/**
 * Runtime configuration: flags win over environment, environment over defaults.
 * Everything is parsed here once, so the rest of the runtime trusts a typed Config.
 */
export const DEFAULT_PORT = 7420;
export const DEFAULT_HOST = '127.0.0.1';

const ConfigSchema = z.strictObject({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  dataDir: z.string().min(1),
  /**
   * Where task, integration and rollback worktrees go. In cluster mode it must be on the
   * filesystem every node sees at the same path (with the repositories), so a node that takes a
   * session over finds its worktrees where the log says they are (docs/runbooks/cluster.md).
   */
  worktreeDir: z.string().min(1),
  adminToken: z.string().min(16, 'THALOGOS_ADMIN_TOKEN must be at least 16 characters').nullable(),
  repoRoots: z.array(z.string().min(1)).min(1),
  configFile: z.string().min(1),
  demo: z.boolean(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** Start even though the event log failed its integrity check, recording the loss (docs/runbooks/log-corruption.md). */
  repairLog: z.boolean(),
});
export type Config = z.infer<typeof ConfigSchema>;

export interface ConfigInputs {
  env: NodeJS.ProcessEnv;
  flags?: Partial<{ port: string; host: string; dataDir: string; repoRoots: string; config: string; demo: boolean; logLevel: string; repairLog: boolean }>;
  cwd: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(message: string, readonly issues: string[]) {
    super(message);
  }
}

export function loadConfig({ env, flags = {}, cwd }: ConfigInputs): Config {
  const dataDir = path.resolve(cwd, flags.dataDir ?? env.THALOGOS_DATA_DIR ?? '.thalogos');
  const rootsRaw = flags.repoRoots ?? env.THALOGOS_REPO_ROOTS;
  // Without explicit roots a session may point at the directory Thalogos runs in (and below),
  // plus the data dir that holds the demo repository.
  const repoRoots = rootsRaw
    ? rootsRaw.split(path.delimiter).filter(Boolean).map((root) => path.resolve(cwd, root))
    : [path.resolve(cwd), dataDir];
  const candidate = {
    port: flags.port ?? env.THALOGOS_PORT ?? DEFAULT_PORT,
    host: flags.host ?? env.THALOGOS_HOST ?? DEFAULT_HOST,
    dataDir,
    worktreeDir: path.resolve(cwd, env.THALOGOS_WORKTREE_DIR || path.join(dataDir, 'worktrees')),
    adminToken: env.THALOGOS_ADMIN_TOKEN ? env.THALOGOS_ADMIN_TOKEN : null,
    repoRoots,
    configFile: path.resolve(cwd, flags.config ?? env.THALOGOS_CONFIG ?? path.join(dataDir, 'config.json')),
    demo: flags.demo ?? env.THALOGOS_DEMO === '1',
    logLevel: flags.logLevel ?? env.THALOGOS_LOG_LEVEL ?? 'info',
    repairLog: flags.repairLog ?? env.THALOGOS_REPAIR_LOG === '1',
  };
  const parsed = ConfigSchema.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${issues.join('; ')}`, issues);
  }
  return parsed.data;
}
