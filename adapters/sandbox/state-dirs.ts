import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `~` of the child: its HOME (the adapter's config may set one), else ours. */
export function childHome(env: NodeJS.ProcessEnv): string {
  return env['HOME'] ?? homedir();
}

/**
 * Makes each state directory exist, so it can be bound writable into the sandbox (a CLI creates
 * its home on first use, which a read-only parent would refuse). Entries ending in `.json` are
 * files (Claude Code's `~/.claude.json`) and are bound only when they already exist.
 */
export function ensureStateDirs(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of new Set(paths)) {
    if (p.endsWith('.json')) { out.push(p); continue; }
    try { mkdirSync(p, { recursive: true }); out.push(p); } catch { /* unwritable: the CLI gets it read-only */ }
  }
  return out;
}

export const codexStateDirs = (env: NodeJS.ProcessEnv): string[] => [env['CODEX_HOME'] ?? join(childHome(env), '.codex')];

export const claudeStateDirs = (env: NodeJS.ProcessEnv): string[] => [
  ...(env['CLAUDE_CONFIG_DIR'] ? [env['CLAUDE_CONFIG_DIR']] : []),
  join(childHome(env), '.claude'),
  join(childHome(env), '.claude.json'),
];

export const geminiStateDirs = (env: NodeJS.ProcessEnv): string[] => [join(childHome(env), '.gemini')];
