import { ACP_ADAPTERS } from './acp.adapter.js';
import type { AgentAdapter } from './agent-adapter.js';
import { claudeAdapter } from './claude.adapter.js';
import { codexAdapter } from './codex.adapter.js';
import { commandAdapter } from './command.adapter.js';
import { geminiAdapter } from './gemini.adapter.js';

/** Every adapter the registry knows. A new adapter is one file plus one line here. */
export const ADAPTERS: readonly AgentAdapter[] = [
  codexAdapter,
  claudeAdapter,
  geminiAdapter,
  commandAdapter,
  // claude-acp, codex-acp, gemini-acp: the same vendors over the Agent Client Protocol (steerable).
  ...ACP_ADAPTERS,
];
