/**
 * Variables a parent agent CLI sets for its own children: inherited by a nested CLI they make it
 * believe it runs inside another session (Claude Code refuses to start, Codex assumes its sandbox).
 */
export const NESTED_CLI_VARIABLES: readonly string[] = [
  'CLAUDECODE',
  'CLAUDE_CODE_ENTRYPOINT',
  'CLAUDE_CODE_SSE_PORT',
  'CODEX_SANDBOX',
  'CODEX_SANDBOX_NETWORK_DISABLED',
  'CODEX_THREAD_ID',
  'GEMINI_CLI',
];

/** The user's environment passes through (their login, CODEX_HOME, proxies), plus config.env. */
export function buildChildEnv(base: NodeJS.ProcessEnv, extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of NESTED_CLI_VARIABLES) delete env[name];
  return { ...env, ...extra };
}
