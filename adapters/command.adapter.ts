import type { AgentAdapter, ParsedOutcome, StreamParser } from './agent-adapter.js';
import type { AgentEventDraft } from './agent-event.js';
import { buildChildEnv } from './child-env.js';
import { failure } from './failure-classifier.js';
import { TailBuffer } from './line-splitter.js';

/** Output kept for the command event: codemods can be chatty, the event log must stay small. */
const MAX_OUTPUT = 256 * 1024;
/**
 * Stdout lines streamed live (status 'output') before the run goes quiet until the final event:
 * people watching see progress, and a chatty codemod cannot flood the event log.
 */
const MAX_LIVE_LINES = 500;
const MAX_LIVE_LINE = 2048;

function createCommandParser(command: string): StreamParser {
  // stdout and stderr interleaved in arrival order, as a terminal would show them.
  const output = new TailBuffer(MAX_OUTPUT);
  let outcome: ParsedOutcome = { finalMessage: null, resumeToken: null, reportedStatus: null, errorText: null };
  let live = 0;
  let dropped = 0;
  let stderrPending = '';
  const liveLine = (line: string, stream: 'stdout' | 'stderr'): AgentEventDraft[] => {
    if (live >= MAX_LIVE_LINES) {
      dropped += 1;
      return [];
    }
    live += 1;
    const text = line.length > MAX_LIVE_LINE ? `${line.slice(0, MAX_LIVE_LINE)}…` : line;
    if (text.length < line.length) dropped += 1;
    return [{ type: 'command', command, exitCode: null, output: text, status: 'output', stream }];
  };
  return {
    line(line) {
      output.push(`${line}\n`);
      return liveLine(line, 'stdout');
    },
    // stderr streams live too, line by line (a partial line waits for its end or for the exit).
    stderr(chunk) {
      output.push(chunk);
      const lines = (stderrPending + chunk).split('\n');
      stderrPending = lines.pop() ?? '';
      return lines.flatMap((line) => liveLine(line, 'stderr'));
    },
    finish(exit) {
      const pending = stderrPending ? liveLine(stderrPending, 'stderr') : [];
      stderrPending = '';
      const text = output.value();
      const last = text.trimEnd().split('\n').slice(-20).join('\n');
      outcome = { ...outcome, finalMessage: last.length > 0 ? last : null,
        reportedStatus: exit.exitCode === 0 ? 'succeeded' : 'failed', errorText: exit.exitCode === 0 ? null : last };
      // `streamed`: every line was already shown live, so a viewer need not repeat the output.
      return [...pending, { type: 'command', command, exitCode: exit.exitCode, output: text, status: exit.exitCode === 0 ? 'completed' : 'failed', streamed: dropped === 0 }];
    },
    outcome: () => ({ ...outcome }),
  };
}

/** Runs the task's prompt as a shell command line in the worktree (codemods, formatters, scripts). */
export const commandAdapter: AgentAdapter = {
  id: 'command',
  displayName: 'Shell command',
  defaultBin: 'sh',
  versionArgs: null,
  parseVersion: () => null,
  minVersion: null,
  descriptor: (config) => ({
    id: 'command', displayName: 'Shell command', cliVersion: null, defaultModel: config.model ?? null, streams: true,
    canResume: false, sandboxModes: [], structuredFinalOutput: false, costPerMTokens: null,
  }),
  buildCommand(opts, config, ctx) {
    return { bin: ctx.bin, args: [...config.args, '-c', opts.prompt], env: buildChildEnv(ctx.env, config.env), cwd: opts.cwd };
  },
  createParser: (opts) => createCommandParser(opts.prompt),
  classifyExit(exit) {
    if (exit.exitCode === 0) return { status: 'succeeded', error: null };
    // A script's own failure: retrying the same command rarely changes anything.
    const why = exit.signal ? `killed by ${exit.signal}` : `exited with code ${String(exit.exitCode)}`;
    const tail = exit.parsed.errorText ? `: ${exit.parsed.errorText.slice(-500)}` : '';
    return { status: 'failed', error: failure('AGENT_FAILED', `command ${why}${tail}`) };
  },
};
