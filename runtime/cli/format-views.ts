// Text for people from the API's answers (the `--json` output is the answer itself).
import type { SessionView, TaskView } from '../../actors/describe-session.js';
import type { TaskChanges } from '../../actors/events.js';
import { saveFailure } from './remedies.js';
import { fields, oneLine, plural, table } from './table.js';

export interface SessionSummary {
  id: string;
  title: string;
  repoPath: string;
  status: string;
  createdAt: string;
  taskCounts: Record<string, number>;
}

/** "no changes" for a task that changed nothing, else "+a -d in n files". */
export function changesText(changes: TaskChanges | null): string {
  if (!changes) return '';
  if (changes.filesChanged === 0) return 'no changes';
  return `+${changes.insertions} -${changes.deletions} in ${plural(changes.filesChanged, 'file')}`;
}

export function statusWords(status: string): string {
  return status.replace(/_/g, ' ');
}

function counts(taskCounts: Record<string, number>): string {
  const parts = Object.entries(taskCounts).map(([status, count]) => `${count} ${statusWords(status)}`);
  return parts.length ? parts.join(', ') : 'no tasks';
}

export function formatSessionList(sessions: SessionSummary[], width: number | null): string {
  if (sessions.length === 0) return 'No sessions yet. Create one: thalogos session create --repo PATH --title TITLE';
  return table(
    ['SESSION', 'STATUS', 'TASKS', 'TITLE', 'REPOSITORY'],
    sessions.map((s) => [s.id, statusWords(s.status), counts(s.taskCounts), s.title, s.repoPath]),
    width,
  );
}

function taskRows(tasks: TaskView[]): string[][] {
  return tasks.map((task) => [task.id, statusWords(task.status), task.agent, changesText(task.changes) || (task.error ? task.error.code : ''), task.prompt]);
}

export function formatSession(view: SessionView, width: number | null): string {
  const lines = [
    fields([
      ['Session', `${view.id}  ${view.title}`],
      ['Status', statusWords(view.status) + (view.pendingSave ? ` (Save: ${view.pendingSave.phase})` : '') + (view.pendingRollback ? ` (rolling back to ${view.pendingRollback.checkpoint})` : '')],
      ['Repository', view.repoPath],
      ['Created', `${view.createdAt} by ${view.createdBy}`],
      ['Checkpoint', view.checkpoints.length ? `${view.checkpoints[view.checkpoints.length - 1]?.tag} (${plural(view.checkpoints.length, 'checkpoint')})` : 'none yet'],
      ['Last Save', view.lastSave ? lastSaveText(view.lastSave.result as Parameters<typeof saveFailure>[0]) : null],
    ]),
    '',
    view.tasks.length ? table(['TASK', 'STATUS', 'AGENT', 'CHANGES', 'PROMPT'], taskRows(view.tasks), width) : 'No tasks yet. Add one: thalogos task add SESSION --prompt TEXT',
  ];
  return lines.join('\n');
}

export function lastSaveText(result: Parameters<typeof saveFailure>[0]): string {
  if (result.status === 'published') return `published ${String(result.tag)} (${String(result.commit).slice(0, 10)})`;
  if (result.status === 'nothing_to_save') return 'nothing to save';
  const failure = saveFailure(result);
  return failure ? `failed: ${failure.code}: ${failure.message}` : result.status;
}

export function formatTask(task: TaskView): string {
  const runs = task.runs.map((run) =>
    `  ${run.runId}  ${run.agent} attempt ${run.attempt}  ${run.outcome ?? run.state ?? 'running'}${run.error ? `  ${run.error.code}: ${oneLine(run.error.message)}` : ''}`,
  );
  return [
    fields([
      ['Task', task.id],
      ['Status', statusWords(task.status)],
      ['Agent', `${task.agent}${task.agentOrder.length > 1 ? ` (then ${task.agentOrder.filter((a) => a !== task.agent).join(', ')})` : ''}`],
      ['Changes', task.changes ? `${changesText(task.changes)}${task.changes.files.length ? `: ${task.changes.files.join(', ')}` : ''}` : null],
      ['Branch', task.branch],
      ['Commit', task.commit],
      ['Error', task.error ? `${task.error.code}: ${task.error.message}` : null],
      ['Closed', task.closed ? `by ${task.closed.by} at ${task.closed.at}${task.closed.reason ? `: ${task.closed.reason}` : ''}` : null],
      ['Merged', task.merged ? `in ${task.merged.tag} at ${task.merged.at}` : null],
      ['Created', `${task.createdAt}${task.createdBy ? ` by ${task.createdBy}` : ''}`],
    ]),
    '',
    'Prompt:',
    indent(task.prompt),
    ...(task.lastMessage ? ['', 'Last message:', indent(task.lastMessage)] : []),
    ...(runs.length ? ['', 'Runs:', ...runs] : []),
  ].join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
