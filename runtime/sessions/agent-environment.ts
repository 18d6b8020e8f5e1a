/**
 * The environment agent CLIs run with: the user's own (their logins, CODEX_HOME, proxies), minus
 * everything that would let an agent act as Thalogos itself. An agent is steerable by whatever it
 * reads (repository content, shared notes), so it must never hold the runtime's tokens: with
 * THALOGOS_ADMIN_TOKEN an operator's agent could mint itself an admin token.
 */
export function agentEnvironment(env: NodeJS.ProcessEnv, hiddenNames: readonly string[] = []): NodeJS.ProcessEnv {
  const hidden = new Set(hiddenNames);
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('THALOGOS_') || hidden.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Values of the hidden variables: they never reach an agent, and are redacted everywhere anyway. */
export function hiddenSecrets(env: NodeJS.ProcessEnv, hiddenNames: readonly string[] = []): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value && (name === 'THALOGOS_ADMIN_TOKEN' || name === 'THALOGOS_TOKEN' || hiddenNames.includes(name)))
    .map(([, value]) => value as string);
}
