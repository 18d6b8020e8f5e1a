import { useEffect, useRef } from 'react';
import type { StreamLine } from '../lib/api-types.js';

/** One-line summary of a stream event (adapters/agent-event.ts). */
export function describeLine(line: StreamLine): string {
  switch (line.type) {
    case 'message':
    case 'reasoning':
      return String(line.text ?? '');
    case 'command':
      // A line of output while the command runs (the command adapter streams them live).
      if (line.status === 'output') return String(line.output ?? '');
      return `$ ${String(line.command ?? '')}${line.exitCode === null || line.exitCode === undefined ? '' : `  → exit ${line.exitCode}`}`;
    case 'file_change':
      return `${String(line.kind ?? 'changed')} ${String(line.path ?? '')}`;
    case 'tool_call':
      return `tool ${String(line.name ?? '')}`;
    case 'usage':
      return `usage: ${String(line.inputTokens ?? 0)} in / ${String(line.outputTokens ?? 0)} out`;
    case 'error':
      return `error: ${String(line.message ?? '')}`;
    case 'done':
      return `done (${String(line.status ?? '')})`;
    case 'raw':
      return String(line.line ?? '');
    default:
      return line.type;
  }
}

const TYPE_STYLE: Record<string, { label: string; className: string }> = {
  message: { label: 'message', className: 'text-zinc-100' },
  reasoning: { label: 'thinking', className: 'text-zinc-400 italic' },
  command: { label: 'command', className: 'text-sky-300' },
  file_change: { label: 'file', className: 'text-violet-300' },
  tool_call: { label: 'tool', className: 'text-sky-300' },
  usage: { label: 'usage', className: 'text-zinc-500' },
  error: { label: 'error', className: 'text-rose-400' },
  done: { label: 'done', className: 'text-emerald-400' },
  raw: { label: 'output', className: 'text-zinc-300' },
  stderr: { label: 'stderr', className: 'text-amber-300' },
};

/** An agent run's live stream: messages, commands with their output, files changed. */
export function AgentStream({ lines, label, limit }: { lines: StreamLine[]; label: string; limit?: number }) {
  const follow = useRef(true);
  const list = useRef<HTMLOListElement>(null);
  // The list is capped, so its length stops growing: the newest line's seq is what moves.
  const newest = lines.length > 0 ? (lines[lines.length - 1]?.seq ?? -1) : -1;
  useEffect(() => {
    // Scroll the list itself (never the page) while the reader is following the tail.
    const el = list.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [newest]);
  const trimmed = limit !== undefined && lines.length >= limit && (lines[0]?.seq ?? 0) > 1;
  return (
    <>
      {trimmed ? <p className="border-b border-zinc-800 bg-zinc-950 px-3 py-1 text-[11px] text-zinc-400">Showing the last {limit} lines; earlier output is in the session's event log.</p> : null}
      <ol
        ref={list}
        aria-label={label}
        role="log"
        tabIndex={0}
        onScroll={(event) => {
          const el = event.currentTarget;
          follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        className="max-h-[28rem] overflow-auto bg-zinc-950 px-3 py-2 font-mono text-xs leading-relaxed text-zinc-200"
      >
        {lines.length === 0 ? <li className="py-2 text-zinc-400">No output yet.</li> : null}
        {lines.map((line) => {
          const liveOutput = line.type === 'command' && line.status === 'output';
          const style = (liveOutput ? (line.stream === 'stderr' ? TYPE_STYLE.stderr : TYPE_STYLE.raw) : TYPE_STYLE[line.type]) ?? { label: line.type, className: 'text-zinc-400' };
          // The command's final event repeats its whole output: shown only when the lines were not
          // all streamed live already (each line once).
          const repeatOutput = line.type === 'command' && line.output && !liveOutput && line.streamed !== true;
          return (
            <li key={`${line.seq}-${line.type}`} className="grid grid-cols-[4.5rem_1fr] gap-2 border-b border-zinc-900 py-1 last:border-0">
              <span className="text-[10px] tracking-wide text-zinc-400 uppercase">{style.label}</span>
              <span className={`${style.className} break-words whitespace-pre-wrap`}>
                {describeLine(line)}
                {repeatOutput ? <span className="mt-1 block max-h-40 overflow-auto rounded bg-zinc-900 px-2 py-1 text-zinc-400">{String(line.output)}</span> : null}
              </span>
            </li>
          );
        })}
      </ol>
    </>
  );
}
