import { FINAL_TASK_STATUSES } from '../../actors/index.js';
import type { TaskView } from '../../actors/describe-session.js';
import type { TaskDiff } from '../../git-engine/index.js';
import { need, sessionPath, str, taskPath, type Command } from './command.js';
import { formatTask, statusWords } from './format-views.js';
import { plural } from './table.js';

const diff: Command = async ({ client, args, out }) => {
  const answer = await client.request<TaskDiff>('GET', `${taskPath(args[0], args[1])}/diff`);
  out.result(answer, () =>
    answer.files.length === 0
      ? 'No changes.'
      : `${plural(answer.stats.files, 'file')} changed, +${answer.stats.additions} -${answer.stats.deletions}\n\n${answer.unified.trimEnd()}`,
  );
  return 0;
};

export const taskCommands: Record<string, Command> = {
  async 'task add'({ client, args, flags, out }) {
    const task = await client.request<TaskView>('POST', `${sessionPath(args[0])}/tasks`, {
      prompt: need(flags.prompt, '--prompt'),
      ...(flags.agent ? { agent: need(flags.agent, '--agent') } : {}),
    });
    out.result(task, () => `Added task ${task.id} (${statusWords(task.status)}, agent ${task.agent}).\nFollow it: thalogos task show ${args[0]} ${task.id}`);
    return 0;
  },
  async 'task show'({ client, args, out }) {
    const task = await client.request<TaskView>('GET', taskPath(args[0], args[1]));
    out.result(task, () => formatTask(task));
    return 0;
  },
  async 'task cancel'({ client, args, out }) {
    const task = await client.request<TaskView>('POST', `${taskPath(args[0], args[1])}/cancel`, {});
    out.result(task, () => `Task ${task.id}: ${statusWords(task.status)}.`);
    return 0;
  },
  async 'task reject'({ client, args, flags, out }) {
    const reason = str(flags.reason);
    const task = await client.request<TaskView>('POST', `${taskPath(args[0], args[1])}/reject`, reason ? { reason } : {});
    out.result(task, () => `Task ${task.id}: ${statusWords(task.status)}${task.closed?.reason ? ` (${task.closed.reason})` : ''}. It will not be part of a Save.`);
    return 0;
  },
  async 'task open'({ client, args, out }) {
    const task = await client.request<TaskView>('GET', taskPath(args[0], args[1]));
    // The path alone on stdout, so `cd "$(thalogos task open S T)"` and editors can use it.
    // A task that ended has had its worktree released (its work stays on its branch).
    if (task.worktreePath === null || FINAL_TASK_STATUSES.has(task.status)) {
      out.result(task, () => `Task ${task.id} has no worktree any more (${statusWords(task.status)}). Its work is on branch ${task.branch ?? 'none'}:\n  git worktree add ../${task.id} ${task.branch ?? ''}`);
      return 1;
    }
    out.result({ path: task.worktreePath, branch: task.branch }, () => task.worktreePath as string);
    return 0;
  },
  'task diff': diff,
  diff,
};
