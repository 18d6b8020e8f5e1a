import { saveFailure } from '../../../runtime/cli/remedies.js';

type SaveResultLike = Parameters<typeof saveFailure>[0];

/**
 * Why a Save did not publish, as the runtime reported it (its stable code and message) and what a
 * person can do about it. The same words as `thalogos save` prints, from one table.
 */
export function SaveFailureDetail({ result, compact = false }: { result: SaveResultLike; compact?: boolean }) {
  const failure = saveFailure(result);
  if (!failure) return null;
  return (
    <div aria-label="Why the Save failed" className={compact ? 'mt-1 text-xs' : 'mt-1 text-sm'}>
      <p className="break-words text-rose-800 dark:text-rose-300">
        <code className="rounded bg-rose-50 px-1 font-mono text-xs font-medium dark:bg-rose-950">{failure.code}</code> {failure.message}
      </p>
      {failure.remedy ? (
        <p className="mt-0.5 break-words text-zinc-700 dark:text-zinc-300">
          <span className="font-medium">What to do: </span>
          {failure.remedy}
        </p>
      ) : null}
    </div>
  );
}
