/**
 * Adapters that take the task's prompt as a shell command line rather than a natural-language
 * goal. They get the prompt verbatim (no shared memory or hand-off text around it) and are never
 * part of a fallback chain, nor fall back to a language model.
 */
const COMMAND_AGENTS = new Set(['command']);

export function isCommandAgent(agentId: string): boolean {
  return COMMAND_AGENTS.has(agentId);
}
