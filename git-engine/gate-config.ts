// `.thalogos.json` at the root of the integration tree: `{ "gates": ["npm test", ...] }`.
// Read from the candidate commit (not from a worktree), validated with zod at the edge.
import git from 'isomorphic-git';
import { z } from 'zod';
import { GitEngineError } from './errors.js';
import type { Repo } from './repo.js';

export const GateConfigSchema = z.object({
  gates: z.array(z.string().trim().min(1).max(4096)).max(50),
});
export type GateConfig = z.infer<typeof GateConfigSchema>;

export const GATE_CONFIG_FILE = '.thalogos.json';

/** A missing file means "no gates" (an empty list passes); anything malformed is GATE_CONFIG_INVALID. */
export async function readGateConfig(repo: Repo, commit: string): Promise<GateConfig> {
  let text: string;
  try {
    const { blob } = await git.readBlob({ fs: repo.fs, gitdir: repo.gitdir, oid: commit, filepath: GATE_CONFIG_FILE, cache: repo.cache });
    text = Buffer.from(blob).toString('utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'NotFoundError') return { gates: [] };
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new GitEngineError('GATE_CONFIG_INVALID', `${GATE_CONFIG_FILE} is not JSON: ${(err as Error).message}`);
  }
  const parsed = GateConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new GitEngineError('GATE_CONFIG_INVALID', `${GATE_CONFIG_FILE} must be {"gates": string[]}`, { issues: parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })) });
  }
  return parsed.data;
}
