import type { AdapterConfig } from './adapter-config.js';
import type { AgentAdapter, BuiltCommand, ExitInfo, RunOptions } from './agent-adapter.js';
import { createAcpSession, RESUME_FAILED } from './acp-session.js';
import { buildChildEnv } from './child-env.js';
import { claudeAdapter } from './claude.adapter.js';
import { codexAdapter } from './codex.adapter.js';
import { classifyStandardExit, failure, type RunFailure } from './failure-classifier.js';
import { geminiAdapter } from './gemini.adapter.js';
import { firstSemver } from './handshake.js';
import { claudeStateDirs, codexStateDirs, geminiStateDirs } from './sandbox/state-dirs.js';

/**
 * Agents that speak the Agent Client Protocol (ACP v1, JSON-RPC over stdio) instead of printing a
 * one-shot stream: the same vendors' agents, driven as a live conversation that people can steer
 * and whose permission requests they answer (docs/adapters.md, "ACP agents"). Each kind reads the
 * same endpoint and credential settings as its one-shot sibling (`claude`, `codex`, `gemini`).
 */
interface AcpKind {
  id: string;
  displayName: string;
  defaultBin: string;
  /** The one-shot adapter of the same vendor: its credential check applies unchanged. */
  sibling: AgentAdapter;
  versionArgs: readonly string[] | null;
  stateDirs(env: NodeJS.ProcessEnv): string[];
  /** The command line for one conversation (the prompt goes over the protocol, not argv). */
  args(config: AdapterConfig, sandboxed: boolean): string[];
  /** Whether `session/load` can be relied on (see docs/adapters.md, "ACP agents"). */
  canResume: boolean;
  /** Variables the kind needs besides the user's and config.env (a model choice, a sandbox flag). */
  env(config: AdapterConfig, sandboxed: boolean): Record<string, string>;
}

const KINDS: readonly AcpKind[] = [
  {
    id: 'claude-acp', displayName: 'Claude (ACP)', defaultBin: 'claude-agent-acp', sibling: claudeAdapter, canResume: true,
    // `claude-agent-acp` has no version flag (it starts serving at once); the version is the agent's own.
    versionArgs: null,
    stateDirs: claudeStateDirs,
    args: (config) => [...config.args],
    // The Claude Agent SDK refuses to start as root unless told it is sandboxed; inside our
    // sandbox it is. ANTHROPIC_MODEL is how Claude Code takes a model from the environment.
    env: (config, sandboxed) => ({ ...(sandboxed ? { IS_SANDBOX: '1' } : {}), ...(config.model ? { ANTHROPIC_MODEL: config.model } : {}) }),
  },
  {
    id: 'codex-acp', displayName: 'Codex (ACP)', defaultBin: 'codex-acp', sibling: codexAdapter, canResume: true,
    versionArgs: null,
    stateDirs: codexStateDirs,
    // Inside our sandbox Codex's own is off (it cannot nest bubblewrap, see codex.adapter.ts); its
    // approval policy still asks before edits and commands, which is what people answer.
    args: (config, sandboxed) => [
      ...(sandboxed ? ['-c', 'sandbox_mode="danger-full-access"'] : []),
      '-c', 'approval_policy="untrusted"',
      ...(config.model ? ['-c', `model="${config.model}"`] : []),
      ...config.args,
    ],
    env: () => ({}),
  },
  {
    // session/load of Gemini 0.61 answered "No previous sessions found for this project" here
    // although the chat file was written (it also worked, once): not relied on.
    id: 'gemini-acp', displayName: 'Gemini CLI (ACP)', defaultBin: 'gemini', sibling: geminiAdapter, canResume: false,
    // The `gemini` adapter already reads this binary's version; a second `--version` at start-up
    // (Node, ~10 s on a busy machine) would only double the wait.
    versionArgs: null,
    stateDirs: geminiStateDirs,
    // --skip-trust: a fresh task worktree is never a trusted folder, and in an untrusted one Gemini
    // refuses every approval people give.
    args: (config) => ['--acp', '--skip-trust', ...(config.model ? ['-m', config.model] : []), ...config.args],
    env: () => ({}),
  },
];

/**
 * Success is the protocol's word (the last turn ended with `end_turn`), not the exit code: the
 * agent is ended by closing its stdin, or stopped when it lingers.
 */
function classifyAcpExit(exit: ExitInfo): { status: 'succeeded' | 'failed'; error: RunFailure | null } {
  if (exit.parsed.reportedStatus === 'succeeded') return { status: 'succeeded', error: null };
  if (exit.parsed.errorText?.startsWith(RESUME_FAILED)) return { status: 'failed', error: failure('AGENT_RESUME_FAILED', exit.parsed.errorText) };
  // An agent that exited 0 before its turn ended did not finish the task either.
  return classifyStandardExit({ ...exit, exitCode: exit.exitCode === 0 ? 1 : exit.exitCode });
}

function acpAdapter(kind: AcpKind): AgentAdapter {
  return {
    id: kind.id,
    displayName: kind.displayName,
    defaultBin: kind.defaultBin,
    versionArgs: kind.versionArgs,
    parseVersion: firstSemver,
    minVersion: null,
    descriptor: (config, cliVersion) => ({
      id: kind.id, displayName: kind.displayName, cliVersion, defaultModel: config.model ?? null, streams: true,
      canResume: kind.canResume, sandboxModes: ['acp-permissions'], structuredFinalOutput: false, costPerMTokens: null,
    }),
    detectUnauthenticated: (ctx) => kind.sibling.detectUnauthenticated?.(ctx) ?? null,
    stateDirs: kind.stateDirs,
    buildCommand(opts: RunOptions, config, ctx): BuiltCommand {
      const sandboxed = ctx.sandboxed === true;
      return { bin: ctx.bin, args: kind.args(config, sandboxed), env: buildChildEnv(ctx.env, { ...kind.env(config, sandboxed), ...config.env }), cwd: opts.cwd };
    },
    createParser: (opts) => createAcpSession({ runId: opts.runId, cwd: opts.cwd, prompt: opts.prompt, resumeToken: opts.resumeToken, askPermission: opts.askPermission }),
    classifyExit: classifyAcpExit,
  };
}

export const ACP_ADAPTERS: readonly AgentAdapter[] = KINDS.map(acpAdapter);

/** Adapters whose runs can be steered (messages, permission answers). */
export function isAcpAgent(id: string): boolean {
  return KINDS.some((k) => k.id === id);
}
