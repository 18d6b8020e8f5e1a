import type { SessionView } from '../../actors/describe-session.js';
import type { Checkpoint } from '../../git-engine/checkpoints.js';
import { need, nonNegative, sessionPath, str, type Command, type CommandContext } from './command.js';
import { statusWords } from './format-views.js';
import { remedyFor, saveFailure } from './remedies.js';
import { table } from './table.js';
import { waitForRollback, waitForSave } from './wait.js';

/** How long `save` / `rollback` follow the work before giving up waiting (the work goes on). */
const DEFAULT_WAIT_SECONDS = 30 * 60;

function waitMs(flags: CommandContext['flags']): number {
  return (flags.timeout !== undefined ? nonNegative(str(flags.timeout), '--timeout') : DEFAULT_WAIT_SECONDS) * 1000;
}

export const saveCommands: Record<string, Command> = {
  async save({ client, args, flags, out }) {
    const sessionId = need(args[0], 'SESSION');
    const chosen = flags.tasks !== undefined ? need(flags.tasks, '--tasks').split(',').map((id) => id.trim()).filter((id) => id !== '') : null;
    const accepted = await client.request<{ saveId: string; session: SessionView }>('POST', `${sessionPath(sessionId)}/save`, chosen ? { taskIds: chosen } : {});
    if (flags['no-wait']) {
      out.result(accepted, () => `Save ${accepted.saveId} started. Follow it: thalogos session show ${sessionId}`);
      return 0;
    }
    if (!out.json) out.progress(`Saving session ${sessionId} (${accepted.saveId})...`);
    const entry = await waitForSave(client, sessionId, accepted.saveId, out, waitMs(flags));
    const result = entry.result as Parameters<typeof saveFailure>[0];
    const failure = saveFailure(result);
    out.result(entry, () => {
      if (result.status === 'published') return `Saved: ${String(result.tag)} (${String(result.commit).slice(0, 10)}), ${(result.mergedTaskIds as string[]).length} task(s) merged into the main branch.`;
      if (result.status === 'nothing_to_save') return 'Nothing to save: no task is ready for review with changes.';
      const next =
        failure?.code === 'CONFLICT'
          ? [`See it: thalogos conflict show ${sessionId}`, `Then: thalogos conflict resolve ${sessionId} --take ours|theirs, or thalogos conflict delegate ${sessionId}`]
          : [];
      return [`Save failed: ${failure?.code}: ${failure?.message}`, ...failedGateTail(result), ...(failure?.remedy ? [`What to do: ${failure.remedy}`] : []), ...next].join('\n');
    });
    return failure ? 1 : 0;
  },
  async rollback({ client, args, flags, out }) {
    const sessionId = need(args[0], 'SESSION');
    const accepted = await client.request<{ rollbackId: string; session: SessionView }>('POST', `${sessionPath(sessionId)}/rollback`, {
      checkpoint: need(args[1], 'CHECKPOINT'),
      ...(flags.mode ? { mode: need(flags.mode, '--mode') } : {}),
    });
    if (flags['no-wait']) {
      out.result(accepted, () => `Rollback ${accepted.rollbackId} started. Follow it: thalogos session show ${sessionId}`);
      return 0;
    }
    if (!out.json) out.progress(`Rolling session ${sessionId} back to ${args[1]}...`);
    const entry = await waitForRollback(client, sessionId, accepted.rollbackId, out, waitMs(flags));
    const result = entry.result;
    out.result(entry, () =>
      result.status === 'completed'
        ? `Rolled back to ${entry.checkpoint}${result.branch ? ` on branch ${result.branch}` : ''}${result.commit ? ` (commit ${result.commit.slice(0, 10)})` : ''}.`
        : [`Rollback failed: ${result.error.code}: ${result.error.message}`, ...(remedyFor(result.error.code) ? [`What to do: ${remedyFor(result.error.code)}`] : [])].join('\n'),
    );
    return result.status === 'completed' ? 0 : 1;
  },
  async resume({ client, args, out }) {
    const view = await client.request<SessionView>('POST', `${sessionPath(args[0])}/resume`, {});
    out.result(view, () => `Session ${view.id}: ${statusWords(view.status)}. Tasks run again; Save when ready.`);
    return 0;
  },
  async checkpoints({ client, args, out }) {
    const answer = await client.request<{ checkpoints: Checkpoint[] }>('GET', `${sessionPath(args[0])}/checkpoints`);
    out.result(answer, () =>
      answer.checkpoints.length === 0
        ? 'No checkpoints yet: the first Save makes one.'
        : table(['CHECKPOINT', 'COMMIT', 'DATE', 'MESSAGE'], answer.checkpoints.map((c) => [c.tag, c.commit.slice(0, 10), c.date, c.message.split('\n')[0] ?? '']), out.width),
    );
    return 0;
  },
};

/** The last lines of the failed gate's output: what a person reads first to see why. */
function failedGateTail(result: { status: string; [detail: string]: unknown }, lines = 20): string[] {
  if (result.status !== 'gates_failed') return [];
  const gates = (result.gates as Array<{ command: string; exitCode: number | null; timedOut: boolean; output: string }> | undefined) ?? [];
  const failed = gates.find((gate) => gate.timedOut || gate.exitCode !== 0);
  if (!failed) return [];
  const tail = failed.output.trimEnd().split('\n').slice(-lines);
  return [`Output of ${failed.command} (last ${tail.length} lines):`, ...tail.map((line) => `  ${line}`)];
}
