import type { Writable } from 'node:stream';
import type { PermissionAsker, RunControl } from './acp-control.js';
import type { AdapterConfig } from './adapter-config.js';
import type { AgentEventDraft } from './agent-event.js';
import type { CapabilityDescriptor } from './capability.js';
import type { RunFailure } from './failure-classifier.js';

export interface RunOptions {
  runId: string;
  /** The task worktree: the child's working directory. */
  cwd: string;
  prompt: string;
  /** From a previous run's outcome; asks the CLI to continue that conversation. */
  resumeToken?: string | null;
  signal?: AbortSignal;
  /** Variables for this run on top of the adapter's environment (e.g. the task's reserved port). */
  env?: Record<string, string>;
  /**
   * A run that must change nothing (the planner): the CLI is started in its own read-only or plan
   * mode and the sandbox binds the working directory read-only. Adapters without such a mode
   * (`command`) refuse it with INVALID_RUN_OPTIONS.
   */
  readOnly?: boolean;
  /** Interactive adapters (ACP): asks the people on the session about a tool call; absent: denied. */
  askPermission?: PermissionAsker;
}

export interface BuiltCommand {
  bin: string;
  args: string[];
  /** The complete environment for the child. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Written to the child's stdin, which is then closed at once (Codex waits forever on an open
   * stdin). The prompt goes here: one argv element is limited to 128 KiB (E2BIG). Absent: stdin
   * is closed from the start.
   */
  stdin?: string;
}

/** What a parser learned from the stream besides the events themselves. */
export interface ParsedOutcome {
  finalMessage: string | null;
  resumeToken: string | null;
  /** What the CLI itself said about the run, when it said anything. */
  reportedStatus: 'succeeded' | 'failed' | null;
  /** The CLI's own error text, used to classify the failure. */
  errorText: string | null;
  /** An HTTP status the CLI reported as data (Claude's `api_error_status`); beats any text. */
  httpStatus?: number | null;
  /**
   * The version the agent reported over its protocol (ACP `initialize`'s agentInfo), for the
   * kinds whose binary has no usable `--version`; it replaces the handshake's cliVersion.
   */
  agentVersion?: string | null;
}

/** An interactive CLI's side channel (ACP): the child's stdin stays open and the parser talks over it. */
export interface InteractiveIo {
  stdin: Writable;
  /** Events found outside `line()` (the protocol client's callbacks); dropped once the run ended. */
  emit(drafts: AgentEventDraft[]): void;
  /** Redacts like the events are, for what leaves the run another way (permission requests). */
  redact<T>(value: T): T;
  /** Ends the process tree (SIGTERM, grace, SIGKILL) without marking the run cancelled. */
  stop(): void;
}

/** Turns one CLI's stdout (line by line) into normalised events. One instance per run. */
export interface StreamParser {
  /** Present: the CLI is interactive; called once right after spawn with its open stdin. */
  attach?(io: InteractiveIo): void;
  /** Steering of a live interactive run, exposed as `AgentRun.control`. */
  control?: RunControl;
  line(line: string): AgentEventDraft[];
  /** Raw stderr bytes, for adapters whose stderr is part of the result (command); may stream events. */
  stderr?(chunk: string): AgentEventDraft[] | void;
  /** After the process exited and the streams drained: flush anything held back. */
  finish(exit: { exitCode: number | null; signal: string | null }): AgentEventDraft[];
  outcome(): ParsedOutcome;
}

export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
  parsed: ParsedOutcome;
  stderrTail: string;
}

export interface HandshakeContext {
  env: NodeJS.ProcessEnv;
  config: AdapterConfig;
}

/**
 * One coding-agent CLI. Adding an adapter = one file implementing this plus one line in
 * `adapter-list.ts`; the shared machinery (lookup, handshake, spawn, redaction) does the rest.
 */
export interface AgentAdapter {
  id: string;
  displayName: string;
  /** Command name looked up when the config names no `bin`. */
  defaultBin: string;
  /** Arguments that print the version (`--version`), and how to read it; null: no version probe. */
  versionArgs: readonly string[] | null;
  parseVersion(stdout: string): string | null;
  /** Oldest version whose flags this adapter relies on; older ones are `incompatible`. */
  minVersion: string | null;
  descriptor(config: AdapterConfig, cliVersion: string | null): CapabilityDescriptor;
  /**
   * A reason when no credential source at all is visible (conservative: null when unsure, since
   * the user's own setup may authenticate in ways we cannot see). 401s found at run time also
   * mark the adapter unauthenticated.
   */
  detectUnauthenticated?(ctx: HandshakeContext): string | null;
  /**
   * The CLI's own state directories (its login, sessions, caches), bound writable into the
   * sandbox; `env` is the child's environment. Created when missing, so the bind has a target.
   */
  stateDirs?(env: NodeJS.ProcessEnv): string[];
  /**
   * A succeeded run that the sandbox kept from doing anything (every tool failed on the CLI's own
   * sandbox): turned into a typed failure instead of a silent success with no changes.
   */
  sandboxFailure?(events: readonly AgentEventDraft[]): RunFailure | null;
  /** `sandboxed`: the run goes through our sandbox, so the CLI's own may be switched off (docs/adapters.md). */
  buildCommand(opts: RunOptions, config: AdapterConfig, ctx: { bin: string; env: NodeJS.ProcessEnv; sandboxed?: boolean }): BuiltCommand;
  createParser(opts: RunOptions): StreamParser;
  /** True when buildCommand honours `readOnly` (the CLI has a read-only or plan mode). */
  readOnlyMode?: boolean;
  /** Decides success or the failure's class from the exit and what the stream said. */
  classifyExit(exit: ExitInfo): { status: 'succeeded' | 'failed'; error: RunFailure | null };
}
