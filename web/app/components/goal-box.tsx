import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, type ApiFailure } from '../lib/api.js';
import type { AgentStatus, TaskView } from '../lib/api-types.js';
import { ErrorNotice } from './error-notice.js';
import { Button, inputClass, labelClass } from './ui.js';

/** The agent that runs a goal as a shell command; every other agent is a language model CLI. */
const COMMAND = 'command';

/** How often the agent list is read again: a login elsewhere makes an agent available. */
const AGENTS_REFRESH_MS = 15_000;
/** Right after the server starts its agents say `checking` for a few seconds: look again soon. */
const AGENTS_CHECKING_REFRESH_MS = 1_000;

/** States a goal: each submission becomes one task, on the chosen agent or the router's pick. */
export function GoalBox({ sessionId, canAdd, onAdded }: { sessionId: string; canAdd: boolean; onAdded: (task: TaskView) => void }) {
  const [prompt, setPrompt] = useState('');
  const [agent, setAgent] = useState('');
  /** The person chose an agent themselves: the console stops choosing for them. */
  const [touched, setTouched] = useState(false);
  const [agents, setAgents] = useState<AgentStatus[] | null>(null);
  const [agentsError, setAgentsError] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [started, setStarted] = useState<string | null>(null);
  const goal = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      api<{ agents: AgentStatus[] }>('GET', '/api/agents')
        .then((body) => {
          if (stopped) return;
          setAgents(body.agents);
          setAgentsError(null);
          return body.agents.some((candidate) => candidate.status === 'checking');
        })
        .catch((failure: ApiFailure) => {
          if (!stopped) setAgentsError(failure);
          return false;
        })
        .then((checking) => {
          if (!stopped) timer = setTimeout(load, checking ? AGENTS_CHECKING_REFRESH_MS : AGENTS_REFRESH_MS);
        });
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  const models = (agents ?? []).filter((candidate) => candidate.id !== COMMAND);
  const modelReady = models.some((candidate) => candidate.status === 'available');
  const hasCommand = (agents ?? []).some((candidate) => candidate.id === COMMAND && candidate.status === 'available');
  // While a CLI is still being checked, nobody knows yet whether a model agent is signed in.
  const checking = models.some((candidate) => candidate.status === 'checking');
  const noModel = agents !== null && !modelReady && !checking;

  // With no language-model agent signed in, the router can only fail: start on `command`.
  useEffect(() => {
    if (!touched && noModel && hasCommand) setAgent(COMMAND);
  }, [touched, noModel, hasCommand]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy || !canAdd || !prompt.trim()) return;
    setBusy(true);
    setError(null);
    setStarted(null);
    try {
      const task = await api<TaskView>('POST', `/api/sessions/${sessionId}/tasks`, agent ? { prompt, agent } : { prompt });
      setPrompt('');
      setStarted(`Task started: ${task.prompt.length > 60 ? `${task.prompt.slice(0, 60)}…` : task.prompt}`);
      onAdded(task);
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(false);
      // The button only looked disabled while busy: focus stays in the form, ready for the next goal.
      goal.current?.focus();
    }
  }

  const selected = agents?.find((candidate) => candidate.id === agent);
  const disabled = !canAdd || !prompt.trim();
  return (
    <form onSubmit={submit} className="space-y-3 p-4" aria-label="New task">
      <div>
        <label htmlFor="goal" className={labelClass}>
          Goal
        </label>
        <textarea
          id="goal"
          ref={goal}
          rows={3}
          value={prompt}
          onChange={(event) => setPrompt(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
              event.preventDefault();
              event.currentTarget.form?.requestSubmit();
            }
          }}
          aria-describedby={noModel ? 'goal-agent-note' : undefined}
          className={`${inputClass} resize-y`}
          placeholder={agent === COMMAND ? 'A shell command, e.g. echo hi > hi.txt' : 'Describe what an agent should do, e.g. add a dark mode toggle to settings'}
          disabled={!canAdd}
        />
      </div>
      {noModel && canAdd ? (
        agent === COMMAND ? (
          <p id="goal-agent-note" className="text-xs text-zinc-600 dark:text-zinc-400">
            No coding agent is signed in here ({models.map((candidate) => `${candidate.id}: ${candidate.status}`).join(', ') || 'none installed'}), so{' '}
            <code className="font-mono">command</code> is selected: the goal runs as a shell command in the task's own worktree.
          </p>
        ) : (
          <p id="goal-agent-note" className="flex flex-wrap items-center gap-2 text-xs text-amber-800 dark:text-amber-300">
            <span>
              No coding agent is signed in here; pick <code className="font-mono">command</code> to run a shell command.
            </span>
            {hasCommand ? (
              <button
                type="button"
                className="rounded px-1.5 py-0.5 font-medium underline hover:bg-amber-100 dark:hover:bg-amber-950"
                onClick={() => {
                  setTouched(true);
                  setAgent(COMMAND);
                }}
              >
                Use command
              </button>
            ) : null}
          </p>
        )
      ) : null}
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-48 flex-1">
          <label htmlFor="agent" className={labelClass}>
            Agent
          </label>
          <select
            id="agent"
            value={agent}
            onChange={(event) => {
              setTouched(true);
              setAgent(event.target.value);
            }}
            className={inputClass}
            disabled={!canAdd}
          >
            <option value="">Let the router pick</option>
            {(agents ?? []).map((candidate) => (
              <option key={candidate.id} value={candidate.id}>
                {candidate.id}
                {candidate.status === 'available' ? '' : ` (${candidate.status})`}
              </option>
            ))}
          </select>
        </div>
        {/* aria-disabled while a request is out: a disabled button would drop focus to <body>. */}
        <Button type="submit" variant="primary" disabled={disabled} aria-disabled={busy || undefined}>
          {busy ? 'Starting…' : 'Start task'}
        </Button>
      </div>
      {checking ? (
        <p id="goal-agents-checking" className="text-xs text-zinc-600 dark:text-zinc-400">
          Checking the coding agents ({models.filter((candidate) => candidate.status === 'checking').map((candidate) => candidate.id).join(', ')})… A task started now waits for the check.
        </p>
      ) : null}
      {selected && selected.status !== 'available' && selected.status !== 'checking' ? (
        <p className="text-xs text-amber-700 dark:text-amber-400">
          {selected.id} is {selected.status}
          {selected.reason ? `: ${selected.reason}` : ''}. The task falls back to the next available agent.
        </p>
      ) : null}
      {!canAdd ? <p className="text-xs text-zinc-600 dark:text-zinc-400">Starting tasks needs the operator role.</p> : null}
      <p role="status" className="text-xs text-emerald-700 empty:hidden dark:text-emerald-400">
        {started ?? ''}
      </p>
      <ErrorNotice error={agentsError} title="Could not list the agents" onDismiss={() => setAgentsError(null)} />
      <ErrorNotice error={error} title="Task not started" onDismiss={() => setError(null)} />
    </form>
  );
}
