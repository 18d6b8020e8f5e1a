import type { GateBlame as Blame, GateResult, SessionView, StreamLine } from '../lib/api-types.js';

function taskName(view: SessionView | null, taskId: string): string {
  const task = view?.tasks.find((t) => t.id === taskId);
  return task ? `${taskId} “${task.prompt.split('\n')[0]?.slice(0, 80) ?? ''}”` : taskId;
}

function gateOutcome(gate: GateResult): string {
  if (gate.timedOut) return 'timed out';
  return gate.exitCode === 0 ? 'passed' : `exited ${gate.exitCode ?? '?'}`;
}

/** Which change broke the gate, as the Save found by re-running it along its merges. */
export function GateBlameNote({ blame, view }: { blame: Blame | undefined; view: SessionView | null }) {
  if (!blame) return null;
  return (
    <p aria-label="Which change broke the gate" className="mt-1 break-words text-sm text-zinc-800 dark:text-zinc-200">
      {blame.status === 'task' ? (
        <>
          <span className="font-medium">Broken by task {taskName(view, blame.taskId)}</span>: the gate passes without that task’s merge.
        </>
      ) : blame.status === 'main' ? (
        <span className="font-medium">The gate already failed on main, before this Save’s tasks.</span>
      ) : (
        <span className="text-zinc-600 dark:text-zinc-400">Which task broke it could not be told: {blame.reason}.</span>
      )}
    </p>
  );
}

/** Every gate a Save ran, with its outcome and output; the failed one opened. */
export function GateResults({ result, view, compact = false }: { result: { status: string; gates?: GateResult[]; blame?: Blame }; view: SessionView | null; compact?: boolean }) {
  const gates = result.gates ?? [];
  if (result.status !== 'gates_failed' || gates.length === 0) return null;
  return (
    <div aria-label="Gate results" className="mt-1 space-y-1">
      <GateBlameNote blame={result.blame} view={view} />
      {gates.map((gate, index) => {
        const failed = gate.timedOut || gate.exitCode !== 0;
        return (
          <details key={index} open={failed && !compact} aria-label={`Gate ${gate.command}`} className="rounded border border-zinc-200 text-xs dark:border-zinc-800">
            <summary className="cursor-pointer break-words px-2 py-1">
              <code className="font-mono">{gate.command}</code>{' '}
              <span className={failed ? 'font-medium text-rose-700 dark:text-rose-300' : 'text-emerald-700 dark:text-emerald-300'}>{gateOutcome(gate)}</span>{' '}
              <span className="text-zinc-600 dark:text-zinc-400">in {(gate.durationMs / 1000).toFixed(1)} s</span>
            </summary>
            <pre aria-label={`Output of ${gate.command}`} className="max-h-64 overflow-auto whitespace-pre-wrap break-words border-t border-zinc-200 bg-zinc-50 px-2 py-1 font-mono dark:border-zinc-800 dark:bg-zinc-900">
              {gate.output === '' ? '(no output)' : gate.output}
            </pre>
          </details>
        );
      })}
    </div>
  );
}

/** The gate a Save is running now and its output as it is written (streamed through the state document). */
export function GateLive({ view, streams }: { view: SessionView; streams: Record<string, StreamLine[]> }) {
  const pending = view.pendingSave;
  if (!pending || (pending.phase !== 'gating' && pending.phase !== 'blaming')) return null;
  const prefix = `save.${pending.saveId}.`;
  // The newest run of this Save: the gate running now, or the latest blame re-run.
  const runIds = Object.keys(streams).filter((id) => id.startsWith(prefix));
  const current = pending.phase === 'gating' && pending.gate ? `${prefix}gate-${pending.gate.index}` : runIds.filter((id) => id.startsWith(`${prefix}blame-`)).sort().at(-1);
  const text = (current ? (streams[current] ?? []) : []).map((line) => line.text ?? '').join('');
  return (
    <div aria-label="Gate running" className="mt-1 text-xs">
      <p className="break-words text-zinc-700 dark:text-zinc-300">
        {pending.phase === 'gating' && pending.gate ? (
          <>
            Gate {pending.gate.index + 1} of {pending.gate.total}: <code className="font-mono">{pending.gate.command}</code>
          </>
        ) : (
          'A gate failed: re-running it along the merges to find which task broke it…'
        )}
      </p>
      <pre aria-label="Gate output" aria-live="polite" className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap break-words rounded bg-zinc-50 px-2 py-1 font-mono dark:bg-zinc-900">
        {text === '' ? 'waiting for output…' : text.slice(-16_000)}
      </pre>
    </div>
  );
}
