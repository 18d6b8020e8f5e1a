import { useEffect, useState } from 'react';
import { api } from './api.js';

export interface TaskPreview {
  taskId: string;
  port: number;
  listening: boolean;
}

/** How often the board asks which running tasks serve something (only while tasks run). */
const POLL_MS = 3000;

/**
 * The dev servers of a session's running tasks, by task id. Asked of the runtime every few seconds
 * while any task runs: whether a port is listened on is not part of the session's state.
 */
export function usePreviews(sessionId: string, anyRunning: boolean): Map<string, TaskPreview> {
  const [previews, setPreviews] = useState<Map<string, TaskPreview>>(new Map());
  useEffect(() => {
    if (!anyRunning) {
      setPreviews(new Map());
      return;
    }
    let stopped = false;
    const poll = async () => {
      try {
        const answer = await api<{ previews: TaskPreview[] }>('GET', `/api/sessions/${sessionId}/previews`);
        if (!stopped) setPreviews(new Map(answer.previews.map((preview) => [preview.taskId, preview])));
      } catch {
        // A failed poll keeps the last answer; the next one tries again.
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [sessionId, anyRunning]);
  return previews;
}

/** Asks for a preview link (a capability URL for this person) and opens it in a new tab. */
export async function openPreview(sessionId: string, taskId: string): Promise<void> {
  const link = await api<{ url: string }>('POST', `/api/sessions/${sessionId}/tasks/${taskId}/preview`, {});
  window.open(link.url, '_blank', 'noopener');
}
