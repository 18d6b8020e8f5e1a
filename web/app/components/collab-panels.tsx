import { useEffect, useState, type FormEvent } from 'react';
import type * as Y from 'yjs';
import type { StoredUser } from '../lib/auth.js';
import { addChat, setMemory, useChat, useMemory } from '../lib/shared-doc.js';
import { colorFor } from '../lib/live-session.js';
import { Button, Card, CardHeader, Empty, inputClass, timeAgo } from './ui.js';

function Offline() {
  return <Empty>Live collaboration is connecting… (needs the runtime's /sync endpoint)</Empty>;
}

export function ChatPanel({ doc, readOnly, user }: { doc: Y.Doc | null; readOnly: boolean; user: StoredUser | null }) {
  const messages = useChat(doc);
  const [text, setText] = useState('');
  function send(event: FormEvent) {
    event.preventDefault();
    if (!doc || !text.trim()) return;
    addChat(doc, text.trim(), user);
    setText('');
  }
  return (
    <Card aria-labelledby="chat-title">
      <CardHeader title="Chat" id="chat-title" />
      {!doc ? <Offline /> : null}
      {doc ? (
        <>
          <ol aria-label="Chat messages" className="max-h-64 space-y-2 overflow-auto px-4 py-3 text-sm">
            {messages.length === 0 ? <li className="text-zinc-500">No messages yet.</li> : null}
            {messages.slice(-100).map((message) => (
              <li key={message.id} className="flex gap-2">
                <span aria-hidden className="mt-0.5 grid size-5 shrink-0 place-items-center rounded-full text-[10px] font-semibold text-white" style={{ background: colorFor(message.name) }}>
                  {message.name.slice(0, 1).toUpperCase()}
                </span>
                <span className="min-w-0">
                  <span className="font-medium">{message.name}</span> <span className="text-xs text-zinc-500 dark:text-zinc-400">{timeAgo(message.at)}</span>
                  <span className="block break-words text-zinc-700 dark:text-zinc-300">{message.text}</span>
                </span>
              </li>
            ))}
          </ol>
          <form onSubmit={send} className="flex gap-2 border-t border-zinc-200 p-3 dark:border-zinc-800">
            <label htmlFor="chat-input" className="sr-only">
              Chat message
            </label>
            <input id="chat-input" value={text} onChange={(event) => setText(event.target.value)} className={inputClass} disabled={readOnly} placeholder={readOnly ? 'Viewers read the chat' : 'Say something to the team'} />
            <Button type="submit" disabled={readOnly || !text.trim()}>
              Send
            </Button>
          </form>
        </>
      ) : null}
    </Card>
  );
}

/** The session's shared notes: handed to every agent with its task. */
export function MemoryPanel({ doc, readOnly }: { doc: Y.Doc | null; readOnly: boolean }) {
  const remote = useMemory(doc);
  const [draft, setDraft] = useState(remote);
  const [focused, setFocused] = useState(false);
  useEffect(() => {
    if (!focused) setDraft(remote);
  }, [remote, focused]);
  return (
    <Card aria-labelledby="memory-title">
      <CardHeader title="Shared memory" id="memory-title">
        <span className="text-xs text-zinc-500">given to agents with each task</span>
      </CardHeader>
      {!doc ? <Offline /> : null}
      {doc ? (
        <div className="p-3">
          <label htmlFor="memory" className="sr-only">
            Shared memory
          </label>
          <textarea
            id="memory"
            rows={5}
            value={focused ? draft : remote}
            readOnly={readOnly}
            onFocus={() => {
              setDraft(remote);
              setFocused(true);
            }}
            onBlur={() => setFocused(false)}
            onChange={(event) => {
              setDraft(event.target.value);
              setMemory(doc, event.target.value);
            }}
            className={`${inputClass} font-mono text-xs`}
            placeholder={readOnly ? 'Nothing shared yet' : 'Conventions, decisions, context every agent should know'}
          />
        </div>
      ) : null}
    </Card>
  );
}
