import { useState } from 'react';
import type { ConflictHunk } from '../lib/api-types.js';
import { prefill, resultLines, type Choice } from '../lib/conflict-choice.js';
import { wordDiff } from '../lib/word-diff.js';
import { inputClass } from './ui.js';

/** Columns and previews wrap long lines: never a horizontal scrollbar in three narrow columns. */
const WRAP = 'font-mono text-xs break-words whitespace-pre-wrap [overflow-wrap:anywhere]';

/**
 * One side of a hunk. The words that differ from the other side's line at the same position are
 * marked, so a person sees at a glance what the two sides disagree on.
 */
function Lines({ title, lines, other, tone, mark }: { title: string; lines: string[]; other?: string[]; tone: string; mark?: string }) {
  return (
    <div className="min-w-0">
      <p className={`px-2 py-1 text-[11px] font-semibold tracking-wide uppercase ${tone}`}>{title}</p>
      <pre aria-label={title} className={`px-2 pb-2 ${WRAP}`}>
        {lines.length === 0 ? (
          <span className="text-zinc-600 dark:text-zinc-400">(no lines)</span>
        ) : (
          lines.map((line, index) => (
            <span key={index} className="block min-h-[1.25em]">
              {other && mark
                ? wordDiff(line, other[index]).map((piece, at) =>
                    piece.changed ? (
                      <mark key={at} className={`rounded-sm text-inherit ${mark}`}>
                        {piece.text}
                      </mark>
                    ) : (
                      <span key={at}>{piece.text}</span>
                    ),
                  )
                : line}
            </span>
          ))
        )}
      </pre>
    </div>
  );
}

type Option = { side: Choice['side']; label: string; name: (where: string) => string };

/** Accessible names start with the visible word (label in name) and say what the choice does. */
const SIDE_OPTIONS: Option[] = [
  { side: 'ours', label: 'Ours', name: (where) => `Ours: keep integration side for ${where}` },
  { side: 'theirs', label: 'Theirs', name: (where) => `Theirs: take task side for ${where}` },
];
const LINE_OPTIONS: Option[] = [
  ...SIDE_OPTIONS,
  { side: 'both', label: 'Both', name: (where) => `Both: keep both sides, ours first, for ${where}` },
  { side: 'manual', label: 'Edit', name: (where) => `Edit: write ${where} by hand` },
];

/** A radio group of choices; `sidesOnly` for conflicts that are not lines of text. */
export function ChoicePicker({ where, groupName, value, sidesOnly, disabled, onPick }: { where: string; groupName: string; value: Choice['side'] | undefined; sidesOnly: boolean; disabled: boolean; onPick: (side: Choice['side']) => void }) {
  return (
    <fieldset className="flex flex-wrap items-center gap-x-3 gap-y-1" disabled={disabled}>
      <legend className="sr-only">Resolution for {where}</legend>
      {(sidesOnly ? SIDE_OPTIONS : LINE_OPTIONS).map((option) => (
        <label key={option.side} className="inline-flex items-center gap-1">
          <input type="radio" name={groupName} checked={value === option.side} onChange={() => onPick(option.side)} aria-label={option.name(where)} />
          {option.label}
        </label>
      ))}
    </fieldset>
  );
}

/**
 * One conflict hunk: base, ours and theirs side by side, the choice (Ours, Theirs, Both, Edit), the
 * editor for a hand-written text (starting from both sides) and a preview of what will be applied.
 * A symlink's single hunk is a target, not lines: it offers the sides only.
 */
export function HunkView({ path, index, hunk, choice, sidesOnly, disabled, onChoose }: { path: string; index: number; hunk: ConflictHunk; choice: Choice | undefined; sidesOnly: boolean; disabled: boolean; onChoose: (choice: Choice) => void }) {
  const where = `${path} hunk ${index + 1}`;
  // The person's text survives switching to another choice and back.
  const [draft, setDraft] = useState<string | null>(null);
  const pick = (side: Choice['side']) => onChoose(side === 'manual' ? { side, text: draft ?? prefill(hunk) } : { side });
  const result = choice ? resultLines(choice, hunk) : null;
  return (
    <div className="min-w-0 rounded-md border border-zinc-200 dark:border-zinc-800">
      <div className="flex flex-wrap items-center justify-between gap-2 border-b border-zinc-200 px-3 py-1.5 text-xs text-zinc-500 dark:border-zinc-800">
        <span>
          Hunk {index + 1} · base line {hunk.baseStart}
        </span>
        <ChoicePicker where={where} groupName={`hunk-${path}-${index}`} value={choice?.side} sidesOnly={sidesOnly} disabled={disabled} onPick={pick} />
      </div>
      <div className="grid min-w-0 grid-cols-1 divide-y divide-zinc-200 md:grid-cols-3 md:divide-x md:divide-y-0 dark:divide-zinc-800">
        <Lines title="base" lines={hunk.base} tone="text-zinc-600 dark:text-zinc-400" />
        <Lines title="integration (ours)" lines={hunk.ours} other={hunk.theirs} tone="text-sky-700 dark:text-sky-400" mark="bg-sky-200/80 dark:bg-sky-800/70" />
        <Lines title="task (theirs)" lines={hunk.theirs} other={hunk.ours} tone="text-violet-700 dark:text-violet-400" mark="bg-violet-200/80 dark:bg-violet-800/70" />
      </div>
      {choice?.side === 'manual' ? (
        <div className="border-t border-zinc-200 px-3 py-2 dark:border-zinc-800">
          <label htmlFor={`text-${path}-${index}`} className="block pb-1 text-xs font-medium text-zinc-600 dark:text-zinc-400">
            Text for {where} (starts as both sides, ours first)
          </label>
          <textarea
            id={`text-${path}-${index}`}
            value={choice.text}
            disabled={disabled}
            spellCheck={false}
            rows={Math.min(14, Math.max(3, choice.text.split('\n').length + 1))}
            onChange={(event) => {
              setDraft(event.target.value);
              onChoose({ side: 'manual', text: event.target.value });
            }}
            className={`${inputClass} min-w-0 ${WRAP}`}
          />
        </div>
      ) : null}
      {result ? (
        <div className="min-w-0 border-t border-zinc-200 bg-emerald-50/60 px-3 py-2 dark:border-zinc-800 dark:bg-emerald-950/30">
          <p className="pb-1 text-[11px] font-semibold tracking-wide text-emerald-800 uppercase dark:text-emerald-300">Will be applied</p>
          <pre aria-label={`Result for ${where}`} className={WRAP}>
            {result.length === 0 ? (
              <span className="text-zinc-600 dark:text-zinc-400">(the hunk's lines are removed)</span>
            ) : (
              result.map((line, at) => (
                <span key={at} className="block min-h-[1.25em]">
                  {line}
                </span>
              ))
            )}
          </pre>
        </div>
      ) : null}
    </div>
  );
}
