// `.thalogos.json` at the root of the repository:
//   { "gates": ["npm test"], "setup": ["npm ci"], "copy": [".env"], "setupTimeoutMs": 600000 }
// Read from a commit (the Save's candidate, or a task's start commit), never from a worktree:
// what runs is what was committed. Validated with zod at the edge; every key is optional.
import git from 'isomorphic-git';
import { z } from 'zod';
import { GitEngineError } from './errors.js';
import type { Repo } from './repo.js';
import { isGitAliasComponent } from './validate-names.js';

/** Setup timeout bounds: 1 s .. 2 h; 10 minutes unless the file says otherwise. */
export const MIN_SETUP_TIMEOUT_MS = 1000;
export const MAX_SETUP_TIMEOUT_MS = 2 * 60 * 60 * 1000;
export const DEFAULT_SETUP_TIMEOUT_MS = 10 * 60 * 1000;

const command = z.string().trim().min(1).max(4096);

/**
 * Why a `copy` entry is refused, or null when it is a repository-relative path whose segments
 * are names or simple globs (`*`, `?` inside one segment). Absolute paths, `..`, `.git` (in any
 * case: it aliases the git directory on case-insensitive file systems), backslashes, `**` and
 * control characters are refused: the copy must never read outside the main worktree or into git's
 * own files.
 */
export function copyPathProblem(entry: string): string | null {
  if (entry.startsWith('/') || /^[A-Za-z]:/.test(entry)) return 'must be relative to the repository root';
  if (entry.includes('\\')) return 'must use / as the separator';
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(entry)) return 'must not contain control characters';
  const segments = entry.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.') return 'must not contain empty or "." segments';
    if (segment === '..') return 'must not contain ".."';
    if (isGitAliasComponent(segment)) return 'must not point into .git';
    if (segment.includes('**')) return '"**" is not supported (use * within one segment)';
    if (/[[\]{}!]/.test(segment)) return 'only * and ? are supported as wildcards';
  }
  return null;
}

const copyEntry = z.string().min(1).max(1024).superRefine((entry, ctx) => {
  const problem = copyPathProblem(entry);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(entry)} ${problem}` });
});

/** An environment's name: a lowercase word (its branch is `release/{name}`). */
export const ENVIRONMENT_NAME_RE = /^[a-z][a-z0-9]{0,31}$/;

/**
 * One environment of the promotion order: `gates` run on the checkpoint (in a detached checkout)
 * before `release/{name}` moves; `approvals` asks that many members with the role to approve first.
 */
export const EnvironmentConfigSchema = z.object({
  name: z.string().regex(ENVIRONMENT_NAME_RE, 'must be a lowercase word (a-z, 0-9, starting with a letter, at most 32)'),
  gates: z.array(command).max(50).default([]),
  approvals: z.object({ count: z.number().int().min(1).max(20), role: z.enum(['reviewer', 'operator']) }).strict().optional(),
}).strict();
export type EnvironmentConfig = z.infer<typeof EnvironmentConfigSchema>;

const environments = z.array(EnvironmentConfigSchema).max(10).default([]).superRefine((list, ctx) => {
  const seen = new Set<string>();
  for (const [index, env] of list.entries()) {
    if (seen.has(env.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `environment ${env.name} is listed twice` });
    seen.add(env.name);
  }
});

export const GateConfigSchema = z.object({
  gates: z.array(command).max(50).default([]),
  /** Shell commands run in each new task worktree, in order, before its agent starts. */
  setup: z.array(command).max(50).default([]),
  /** Untracked local files (paths or simple globs) copied from the main worktree into each task worktree. */
  copy: z.array(copyEntry).max(100).default([]),
  setupTimeoutMs: z.number().int().min(MIN_SETUP_TIMEOUT_MS).max(MAX_SETUP_TIMEOUT_MS).default(DEFAULT_SETUP_TIMEOUT_MS),
  /**
   * CI on the branches Thalogos manages: `remote` (a git remote configured in the repository, e.g.
   * `origin`) receives every managed ref as it moves; `requiredStatuses` are the CI contexts that must
   * report `success` on a task's commit before a Save merges it.
   */
  ci: z.object({
    remote: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a git remote name (e.g. origin)').optional(),
    requiredStatuses: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'a CI context name (e.g. ci/test)')).max(20).default([]),
    /** CI contexts that must report `success` on a checkpoint's commit before it is promoted. */
    requiredForPromotion: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/, 'a CI context name (e.g. ci/test)')).max(20).default([]),
  }).strict().default({ requiredStatuses: [], requiredForPromotion: [] }),
  /** Promotion order of the repository's environments, first to last (see environments.ts). */
  environments,
}).strict();
export type GateConfig = z.infer<typeof GateConfigSchema>;

export const GATE_CONFIG_FILE = '.thalogos.json';

const EMPTY: GateConfig = GateConfigSchema.parse({});

/** A missing file means "no gates, no setup"; anything malformed is GATE_CONFIG_INVALID. */
export async function readGateConfig(repo: Repo, commit: string): Promise<GateConfig> {
  let text: string;
  try {
    const { blob } = await git.readBlob({ fs: repo.fs, gitdir: repo.gitdir, oid: commit, filepath: GATE_CONFIG_FILE, cache: repo.cache });
    text = Buffer.from(blob).toString('utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'NotFoundError') return { ...EMPTY };
    throw err;
  }
  return parseGateConfig(text);
}

/** Parses the file's text; the error names each bad key (`data.issues[].path`, e.g. `copy.0`). */
export function parseGateConfig(text: string): GateConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GitEngineError('GATE_CONFIG_INVALID', `${GATE_CONFIG_FILE} is not JSON: ${(err as Error).message}`);
  }
  const parsed = GateConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    throw new GitEngineError(
      'GATE_CONFIG_INVALID',
      `${GATE_CONFIG_FILE} must be {"gates"?: string[], "setup"?: string[], "copy"?: string[], "setupTimeoutMs"?: number, "environments"?: {name, gates?, approvals?}[]}` +
        (first ? `; ${first.path || '(root)'}: ${first.message}` : ''),
      { issues },
    );
  }
  return parsed.data;
}
