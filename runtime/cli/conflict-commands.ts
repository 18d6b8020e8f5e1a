import { readFileSync } from 'node:fs';
import type { SessionView, TaskView } from '../../actors/describe-session.js';
import type { ConflictReport } from '../../git-engine/index.js';
import { need, sessionPath, str, type Command } from './command.js';
import { plural } from './table.js';
import { UsageError } from './usage.js';

interface Resolution {
  path: string;
  hunk?: number;
  side: 'ours' | 'theirs' | 'both' | 'manual';
  text?: string;
}

async function openReport(client: Parameters<Command>[0]['client'], sessionId: string): Promise<ConflictReport | null> {
  const view = await client.request<SessionView>('GET', sessionPath(sessionId));
  const result = view.lastSave?.result as { status?: string; report?: ConflictReport } | undefined;
  return view.status === 'awaiting_review' && result?.status === 'conflict' && result.report ? result.report : null;
}

/** Every conflict of the report, each taking `side`: a hunk each, or the whole file when it has none. */
export function takeAll(report: ConflictReport, side: 'ours' | 'theirs'): Resolution[] {
  return report.files.flatMap((file) => (file.hunks.length ? file.hunks.map((_, hunk) => ({ path: file.path, hunk, side })) : [{ path: file.path, side }]));
}

/**
 * `PATH=ours`, `PATH#2=theirs` (hunk 2, counted from 0 as `conflict show` numbers them),
 * `PATH#2=both` (ours, then theirs), `PATH#2=@FILE` (the hunk's new text is FILE's content;
 * `@-` reads it from standard input). Only a hunk takes both or a text.
 */
export function parseChoice(text: string): Resolution {
  const match = /^(.+?)(?:#(\d+))?=(ours|theirs|both|@.+)$/.exec(text);
  if (!match?.[1] || !match[3]) throw new UsageError(`a choice is PATH=ours|theirs or PATH#HUNK=ours|theirs|both|@FILE, got ${text}`);
  const where = { path: match[1], ...(match[2] !== undefined ? { hunk: Number(match[2]) } : {}) };
  if (match[3].startsWith('@')) {
    if (match[2] === undefined) throw new UsageError(`a hand-written text is for one hunk: PATH#HUNK=@FILE, got ${text}`);
    return { ...where, side: 'manual', text: readTextFile(match[3].slice(1)) };
  }
  if (match[3] === 'both' && match[2] === undefined) throw new UsageError(`both sides is for one hunk: PATH#HUNK=both, got ${text}`);
  return { ...where, side: match[3] as Resolution['side'] };
}

function readTextFile(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the hunk's text from ${file === '-' ? 'standard input' : file}: ${(error as Error).message}`);
  }
}

function formatReport(report: ConflictReport): string {
  const lines = [
    `Task ${report.taskId} (${report.branch}) conflicts with the session's other work: ${plural(report.summary.hunks, 'hunk')} in ${plural(report.summary.files, 'file')}.`,
  ];
  for (const file of report.files) {
    lines.push('', `${file.path}  (${file.kind}) ${file.summary}`);
    file.hunks.forEach((hunk, index) => {
      lines.push(`  #${index} at line ${hunk.baseStart}`);
      for (const line of hunk.ours) lines.push(`    ours   | ${line}`);
      for (const line of hunk.theirs) lines.push(`    theirs | ${line}`);
    });
  }
  lines.push(
    '',
    'ours = the session\'s other work (already integrated); theirs = this task\'s change.',
    `Resolve: thalogos conflict resolve ${report.sessionId} --take ours|theirs, or per hunk PATH#HUNK=ours|theirs|both|@FILE (FILE holds the hunk's new text)`,
    `Or hand it to an agent: thalogos conflict delegate ${report.sessionId}`,
  );
  return lines.join('\n');
}

export const conflictCommands: Record<string, Command> = {
  async 'conflict show'({ client, args, out }) {
    const report = await openReport(client, need(args[0], 'SESSION'));
    out.result({ report }, () => (report ? formatReport(report) : 'No open conflict: the session is not stopped on a merge conflict.'));
    return 0;
  },
  async 'conflict resolve'({ client, args, flags, out }) {
    const sessionId = need(args[0], 'SESSION');
    const take = str(flags.take);
    if (take !== undefined && take !== 'ours' && take !== 'theirs') throw new UsageError(`--take is ours or theirs, got ${take}`);
    const choices = args.slice(1).map((arg) => parseChoice(arg));
    if (!take && choices.length === 0) throw new UsageError('say which side to keep: --take ours|theirs, or PATH#HUNK=ours|theirs|both|@FILE choices');
    let resolutions = choices;
    if (take) {
      const report = await openReport(client, sessionId);
      if (!report) throw new UsageError(`session ${sessionId} is not stopped on a merge conflict`);
      // Explicit choices win over --take for the hunks they name.
      const named = new Set(choices.map((c) => `${c.path}#${c.hunk ?? ''}`));
      resolutions = [...choices, ...takeAll(report, take).filter((r) => !named.has(`${r.path}#${r.hunk ?? ''}`))];
    }
    const answer = await client.request<{ taskId: string; commit: string; files: string[] }>('POST', `${sessionPath(sessionId)}/conflicts/resolve`, {
      ...(flags.task ? { taskId: need(flags.task, '--task') } : {}),
      resolutions,
    });
    out.result(answer, () => `Resolved the conflict of task ${answer.taskId} in ${plural(answer.files.length, 'file')} (commit ${answer.commit.slice(0, 10)}).\nSave again: thalogos save ${sessionId}`);
    return 0;
  },
  async 'conflict delegate'({ client, args, flags, out }) {
    const sessionId = need(args[0], 'SESSION');
    const task = await client.request<TaskView>('POST', `${sessionPath(sessionId)}/conflicts/delegate`, {
      ...(flags.task ? { taskId: need(flags.task, '--task') } : {}),
      ...(flags.agent ? { agent: need(flags.agent, '--agent') } : {}),
    });
    out.result(task, () => `Task ${task.id} went back to an agent (${task.agent}) to merge and resolve the conflict.\nFollow it: thalogos task show ${sessionId} ${task.id}`);
    return 0;
  },
};
