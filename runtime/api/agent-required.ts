import { ApiError } from '../errors.js';
import type { AppContext } from './app-context.js';

/**
 * A task for a language-model agent is refused at once when none of its agents is available (none
 * installed and signed in): accepted, it would only end AGENTS_EXHAUSTED after every fallback
 * failed. The refusal says what to do instead.
 */
export function requireAvailableAgent(app: Pick<AppContext, 'adapters'>, order: readonly string[]): void {
  if (order.some((id) => app.adapters.isAvailable(id))) return;
  const agents = order.map((id) => ({ id, reason: app.adapters.unavailableReason(id) }));
  const why = agents.map((agent) => `${agent.id}: ${agent.reason ?? 'not available'}`).join('; ');
  throw new ApiError(
    'AGENT_UNAVAILABLE',
    `no language-model agent is available (${why}). Sign one in (for example run \`codex login\` or \`claude\` once, then \`thalogos agents --refresh\`), or run a shell command instead with --agent command`,
    { agents },
  );
}
