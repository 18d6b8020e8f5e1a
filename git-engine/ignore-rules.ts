// .gitignore semantics for the snapshot walk: the repository's info/exclude, then one matcher per
// directory's .gitignore; a deeper file's rules override shallower ones, and `!pattern` re-includes.
// (core.excludesFile, the user's global ignore file, is deliberately not read: a snapshot must not
// depend on the machine's user configuration.)
import fs from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';

interface Layer { base: string; ig: Ignore }

export class IgnoreStack {
  private constructor(private readonly layers: Layer[]) {}

  static async forRoot(gitdir: string, worktree: string): Promise<IgnoreStack> {
    const layers: Layer[] = [];
    const exclude = await readOrNull(path.join(gitdir, 'info', 'exclude'));
    if (exclude) layers.push({ base: '', ig: ignore().add(exclude) });
    const root = await readOrNull(path.join(worktree, '.gitignore'));
    if (root) layers.push({ base: '', ig: ignore().add(root) });
    return new IgnoreStack(layers);
  }

  /** The stack to use inside directory `dir` (repository-relative), reading its .gitignore. */
  async enter(worktree: string, dir: string): Promise<IgnoreStack> {
    if (dir === '') return this;
    const text = await readOrNull(path.join(worktree, dir, '.gitignore'));
    return text ? new IgnoreStack([...this.layers, { base: dir, ig: ignore().add(text) }]) : this;
  }

  isIgnored(rel: string, isDir: boolean): boolean {
    let ignored = false;
    for (const { base, ig } of this.layers) {
      const local = base ? rel.slice(base.length + 1) : rel;
      const r = ig.test(isDir ? `${local}/` : local);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  }
}

async function readOrNull(file: string): Promise<string | null> {
  try { return await fs.readFile(file, 'utf8'); } catch { return null; }
}
