import { useState } from 'react';

/**
 * Where a task's worktree is on the server's machine: the path, a copy button and an editor link
 * (vscode://file/..., which opens it when the console runs on that machine).
 */
export function WorktreePath({ path }: { path: string }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(path);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard permission: the path stays selectable
    }
  }
  return (
    <p aria-label="Worktree" className="mt-1 flex min-w-0 flex-wrap items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400">
      <span>worktree</span>
      <code className="min-w-0 break-all rounded bg-zinc-100 px-1 font-mono select-all dark:bg-zinc-800">{path}</code>
      <button type="button" onClick={() => void copy()} className="rounded px-1.5 py-0.5 font-medium text-indigo-700 hover:bg-indigo-50 dark:text-indigo-300 dark:hover:bg-indigo-950">
        {copied ? 'Copied' : 'Copy path'}
      </button>
      <a href={`vscode://file${path.startsWith('/') ? '' : '/'}${path}`} className="font-medium text-indigo-700 underline dark:text-indigo-300">
        Open in VS Code
      </a>
    </p>
  );
}
