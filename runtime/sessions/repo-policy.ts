import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../errors.js';

/**
 * A session may only point at a repository under one of the configured roots. Both sides are
 * resolved through realpath, so neither `..` nor a symlink can step outside.
 */
export async function resolveAllowedRepo(repoPath: string, roots: string[]): Promise<string> {
  if (!path.isAbsolute(repoPath)) {
    throw new ApiError('VALIDATION_FAILED', 'repoPath must be an absolute path', { issues: [{ path: 'repoPath', message: 'not absolute' }] });
  }
  let real: string;
  try {
    real = await realpath(repoPath);
  } catch {
    throw new ApiError('NOT_A_REPOSITORY', `${repoPath} does not exist`);
  }
  for (const root of roots) {
    const realRoot = await realpath(root).catch(() => null);
    if (!realRoot) continue;
    const relative = path.relative(realRoot, real);
    if (relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))) return real;
  }
  throw new ApiError('REPO_NOT_ALLOWED', `${repoPath} is outside the allowed repository roots`, { roots });
}
