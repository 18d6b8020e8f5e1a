import { useEffect, useState, type FormEvent } from 'react';
import { api, type ApiFailure } from '../lib/api.js';
import type { AgentStatus, TaskView } from '../lib/api-types.js';
import { ErrorNotice } from './error-notice.js';
import { Button, inputClass, labelClass } from './ui.js';

/** States a goal: each submission becomes one task, on the chosen agent or the router's pick. */
export function GoalBox({ sessionId, canAdd, onAdded }: { sessionId: string; canAdd: boolean; onAdded: (task: TaskView) => void }) {
  const [prompt, setPrompt] = useState('');
  const [agent, setAgent] = useState('');
  const [agents, setAgents] = useState<AgentStatus[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);

  useEffect(() => {
    api<{ agents: AgentStatus[] }>('GET', '/api/agents')
      .then((body) => setAgents(body.agents))
      .catch((failure: ApiFailure) => setError(failure));
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!prompt.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const task = await api<TaskView>('POST', `/api/sessions/${sessionId}/tasks`, agent ? { prompt, agent } : { prompt });
      setPrompt('');
      onAdded(task);
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  }

  const selected = agents.find((candidate) => candidate.id === agent);
  return (
    <form onSubmit={submit} className="space-y-3 p-4" aria-label="New task">
      <div>
        <label htmlFor="goal" className={labelClass}>
          Goal
        </label>
        <textarea
          id="goal"
          rows={3}
          value={prompt}
          onChange={(event) => setPrompt(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
              event.preventDefault();
              event.currentTarget.form?.requestSubmit();
            }
          }}
          className={`${inputClass} resize-y`}
          placeholder={agent === 'command' ? 'A shell command, e.g. npx prettier --write src' : 'Describe what an agent should do, e.g. add a dark mode toggle to settings'}
          disabled={!canAdd}
        />
      </div>
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-48 flex-1">
          <label htmlFor="agent" className={labelClass}>
            Agent
          </label>
          <select id="agent" value={agent} onChange={(event) => setAgent(event.target.value)} className={inputClass} disabled={!canAdd}>
            <option value="">Let the router pick</option>
            {agents.map((candidate) => (
              <option key={candidate.id} value={candidate.id}>
                {candidate.id}
                {candidate.status === 'available' ? '' : ` (${candidate.status})`}
              </option>
            ))}
          </select>
        </div>
        <Button type="submit" variant="primary" disabled={!canAdd || busy || !prompt.trim()}>
          {busy ? 'Starting…' : 'Start task'}
        </Button>
      </div>
      {selected && selected.status !== 'available' ? (
        <p className="text-xs text-amber-700 dark:text-amber-400">
          {selected.id} is {selected.status}
          {selected.reason ? `: ${selected.reason}` : ''}. The task falls back to the next available agent.
        </p>
      ) : null}
      {!canAdd ? <p className="text-xs text-zinc-500">Starting tasks needs the operator role.</p> : null}
      <ErrorNotice error={error} title="Task not started" onDismiss={() => setError(null)} />
    </form>
  );
}
