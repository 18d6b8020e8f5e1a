import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { useCallback, useEffect, useRef, useState } from 'react';
import * as Y from 'yjs';
import { api, isFatal, type ApiFailure } from './api.js';
import type { SessionView, StreamLine } from './api-types.js';
import { readSyncCredential, readUser } from './auth.js';
import { mergeStreamLines, type LogPage } from './stream-merge.js';
import { StaleDocumentCheck } from './stale-check.js';

/** How the console gets its data right now: the sync documents, or polling the HTTP API. */
export type LiveMode = 'connecting' | 'sync' | 'polling';

export interface PresenceUser {
  clientId: number;
  name: string;
  role: string;
  color: string;
  self: boolean;
}

export interface LiveSession {
  view: SessionView | null;
  /** runId -> the newest lines of that agent run's stream. */
  streams: Record<string, StreamLine[]>;
  mode: LiveMode;
  /** The shared, editable document (memory, chat, annotations, comments), once synced. */
  shared: Y.Doc | null;
  sharedReadOnly: boolean;
  presence: PresenceUser[];
  error: ApiFailure | null;
  /** The runtime refused the token or has no such session: live updates have stopped for good. */
  stopped: boolean;
  refresh(): Promise<void>;
}

const POLL_MS = 1000;
/** How often a tab on the live documents checks them against the API (see StaleDocumentCheck). */
const STALE_CHECK_MS = 5000;
const COLORS = ['#6366f1', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#ec4899', '#8b5cf6', '#14b8a6'];

export function colorFor(name: string): string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return COLORS[hash % COLORS.length] ?? '#6366f1';
}

function syncUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${window.location.host}/sync`;
}

function readRuns(agents: Y.Map<unknown>): Record<string, StreamLine[]> {
  const out: Record<string, StreamLine[]> = {};
  for (const [runId, run] of agents.entries()) {
    if (!(run instanceof Y.Map)) continue;
    const lines = run.get('lines');
    out[runId] = lines instanceof Y.Array ? (lines.toJSON() as StreamLine[]) : [];
  }
  return out;
}

/**
 * The live view of one session. Prefers the Hocuspocus documents on /sync (pushed within
 * milliseconds); while they are not synced, polls the HTTP API every second (the session view,
 * and the event log from a cursor for agent streams). Switches both ways on its own.
 */
export function useLiveSession(sessionId: string | null): LiveSession {
  const [view, setView] = useState<SessionView | null>(null);
  const [streams, setStreams] = useState<Record<string, StreamLine[]>>({});
  const [mode, setMode] = useState<LiveMode>('connecting');
  const [shared, setShared] = useState<Y.Doc | null>(null);
  const [sharedReadOnly, setSharedReadOnly] = useState(true);
  const [presence, setPresence] = useState<PresenceUser[]>([]);
  const [error, setError] = useState<ApiFailure | null>(null);
  const modeRef = useRef<LiveMode>('connecting');
  const cursor = useRef(0);
  /** Bumped whenever polled answers must no longer land (another session, or sync took over). */
  const epoch = useRef(0);
  /** Set once the runtime says this token or session is gone: nothing will change by retrying. */
  const [fatal, setFatal] = useState(false);

  // Another session: nothing of the previous one may show, or be merged into this one.
  useEffect(() => {
    epoch.current += 1;
    cursor.current = 0;
    modeRef.current = 'connecting';
    setView(null);
    setStreams({});
    setMode('connecting');
    setShared(null);
    setPresence([]);
    setError(null);
    setFatal(false);
  }, [sessionId]);

  const fail = useCallback((failure: ApiFailure) => {
    setError(failure);
    if (isFatal(failure)) setFatal(true);
  }, []);

  const fetchView = useCallback(async () => {
    const started = epoch.current;
    try {
      const next = await api<SessionView>('GET', `/api/sessions/${encodeURIComponent(sessionId ?? '')}`);
      if (epoch.current !== started) return;
      setView(next);
      setError(null);
    } catch (failure) {
      if (epoch.current === started) fail(failure as ApiFailure);
    }
  }, [sessionId, fail]);

  const fetchEvents = useCallback(async () => {
    const started = epoch.current;
    const after = cursor.current;
    try {
      const page = await api<LogPage>('GET', `/api/sessions/${encodeURIComponent(sessionId ?? '')}/events?after=${after}&limit=1000`);
      // The state document took over (or the session changed) while this page was in flight:
      // its streams are already complete, appending this page would show every line twice.
      if (epoch.current !== started || modeRef.current === 'sync' || cursor.current !== after) return;
      if (page.events.length === 0) return;
      cursor.current = page.events[page.events.length - 1]?.seq ?? cursor.current;
      setStreams((previous) => mergeStreamLines(previous, page.events));
    } catch {
      // the view poll reports errors; a missed page is fetched again from the same cursor
    }
  }, [sessionId]);

  // Polling, only while the sync documents are not live, and only while retrying can help.
  useEffect(() => {
    if (!sessionId || fatal) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      if (modeRef.current !== 'sync') await Promise.all([fetchView(), fetchEvents()]);
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [sessionId, fatal, fetchView, fetchEvents]);

  // The sync documents.
  useEffect(() => {
    const token = readSyncCredential();
    // A refused token or a missing session will not come back by reconnecting: stay off the socket.
    if (!token || !sessionId || fatal) return;
    const user = readUser();
    const socket = new HocuspocusProviderWebsocket({ url: syncUrl(), delay: 1000, maxDelay: 5000, factor: 1.5, maxAttempts: 0 });
    const stateDoc = new Y.Doc();
    const sharedDoc = new Y.Doc();
    const setLive = (next: LiveMode) => {
      if (next === 'sync' || (next === 'polling' && modeRef.current === 'sync')) {
        // The document's streams replace the polled ones wholesale, and polling after a drop
        // starts again from the top of the log (lines already shown are kept once, by seq).
        epoch.current += 1;
        cursor.current = 0;
      }
      modeRef.current = next;
      setMode(next);
    };
    // Give the socket a moment before falling back, so the first paint does not flash "polling".
    const fallbackTimer = setTimeout(() => {
      if (modeRef.current === 'connecting') setLive('polling');
    }, 2500);

    const sessionMap = stateDoc.getMap('session');
    const agents = stateDoc.getMap('agents');
    /** Changes of the session map seen here: the stale check's "did the document move". */
    let docVersion = 0;
    sessionMap.observeDeep(() => {
      docVersion += 1;
    });
    const pushState = () => {
      const json = sessionMap.toJSON() as Partial<SessionView>;
      if (typeof json.id === 'string' && Array.isArray(json.tasks)) setView(json as SessionView);
      setStreams(readRuns(agents));
    };
    const staleCheck = new StaleDocumentCheck();
    const staleTimer = setInterval(() => {
      if (modeRef.current !== 'sync') return;
      const version = docVersion;
      void api<SessionView>('GET', `/api/sessions/${encodeURIComponent(sessionId)}`).then((apiView) => {
        if (modeRef.current !== 'sync' || version !== docVersion) return;
        if (staleCheck.check(sessionMap.toJSON(), version, apiView) !== 'stale') return;
        // The document stopped following the session: show the API's view, poll, and reconnect
        // (the sync exchange on reconnect fetches whatever the document missed).
        console.warn(`thalogos: the live document of session ${sessionId} stopped following it; reconnecting`);
        setLive('polling');
        setView(apiView);
        socket.disconnect();
        void socket.connect();
      }, () => undefined);
    }, STALE_CHECK_MS);
    const stateProvider = new HocuspocusProvider({
      websocketProvider: socket,
      name: `session/${sessionId}/state`,
      token,
      document: stateDoc,
      onSynced: () => {
        pushState();
        setLive('sync');
      },
      onAuthenticationFailed: () => setLive('polling'),
    });
    stateProvider.attach();
    const onState = () => {
      if (modeRef.current === 'sync') pushState();
    };
    sessionMap.observeDeep(onState);
    agents.observeDeep(onState);
    const onStatus = ({ status }: { status: string }) => {
      // Socket gone: keep the last view and poll until it is back.
      if (status === 'disconnected' && modeRef.current === 'sync') setLive('polling');
    };
    socket.on('status', onStatus);

    const sharedProvider = new HocuspocusProvider({
      websocketProvider: socket,
      name: `session/${sessionId}/shared`,
      token,
      document: sharedDoc,
      onAuthenticated: ({ scope }) => setSharedReadOnly(scope !== 'read-write'),
      onSynced: () => setShared(sharedDoc),
    });
    sharedProvider.attach();
    const awareness = sharedProvider.awareness;
    const name = user?.name ?? 'anonymous';
    awareness?.setLocalStateField('user', { name, role: user?.role ?? 'viewer', color: colorFor(name) });
    const onAwareness = () => {
      if (!awareness) return;
      const people: PresenceUser[] = [];
      for (const [clientId, state] of awareness.getStates()) {
        const person = (state as { user?: { name?: string; role?: string; color?: string } }).user;
        if (!person?.name) continue;
        people.push({ clientId, name: person.name, role: person.role ?? 'viewer', color: person.color ?? colorFor(person.name), self: clientId === awareness.clientID });
      }
      setPresence(people);
    };
    awareness?.on('change', onAwareness);

    return () => {
      clearTimeout(fallbackTimer);
      clearInterval(staleTimer);
      sessionMap.unobserveDeep(onState);
      agents.unobserveDeep(onState);
      socket.off('status', onStatus);
      awareness?.off('change', onAwareness);
      stateProvider.destroy();
      sharedProvider.destroy();
      socket.destroy();
      stateDoc.destroy();
      sharedDoc.destroy();
      modeRef.current = 'connecting';
      setShared(null);
    };
  }, [sessionId, fatal]);

  const refresh = useCallback(() => fetchView(), [fetchView]);
  return { view, streams, mode, shared, sharedReadOnly, presence, error, stopped: fatal, refresh };
}
