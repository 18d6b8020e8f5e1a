/**
 * Adapters that take the task's prompt as a shell command line rather than a natural-language
 * goal. They get the prompt verbatim (no shared memory or hand-off text around it) and are never
 * part of a fallback chain, nor fall back to a language model.
 */
const COMMAND_AGENTS = new Set(['command']);

export function isCommandAgent(agentId: string): boolean {
  return COMMAND_AGENTS.has(agentId);
}

/** The language-model agents of `order` (no command agents), with `requested` moved to the front. */
export function languageModelOrder(order: readonly string[], requested?: string): string[] {
  const rest = order.filter((id) => id !== requested && !isCommandAgent(id));
  return requested ? [requested, ...rest] : rest;
}

/** The same agents, those available now first (each group keeps its order). */
export function availableFirst(ids: readonly string[], isAvailable: (id: string) => boolean): string[] {
  return [...ids.filter((id) => isAvailable(id)), ...ids.filter((id) => !isAvailable(id))];
}
