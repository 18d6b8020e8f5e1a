import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { stampAuthors } from './author-stamp.js';
import { sharedRoots } from './shared-document.js';
import { encodeDecodedUpdate } from './update-encoding.js';

const rae = { userId: 'tok-rae', name: 'rae' };

/** Records the updates a doc emits while `edit` runs. */
function updatesOf(doc: Y.Doc, edit: () => void): Uint8Array[] {
  const out: Uint8Array[] = [];
  const listener = (update: Uint8Array) => out.push(update);
  doc.on('update', listener);
  edit();
  doc.off('update', listener);
  return out;
}

describe('encodeDecodedUpdate', () => {
  it('re-encodes decoded updates into updates that build the same document', () => {
    const source = new Y.Doc();
    const replica = new Y.Doc();
    const roots = sharedRoots(source);
    const updates = [
      ...updatesOf(source, () => roots.memory.insert(0, 'hello world')),
      ...updatesOf(source, () => roots.chat.push([{ id: 'c1', userId: 'u', name: 'n', text: 'hi', at: 'now' }])),
      ...updatesOf(source, () => {
        const list = new Y.Array<{ id: string; userId: string; text: string; at: string }>();
        roots.comments.set('t1:a.txt:1', list);
        list.push([{ id: 'n1', userId: 'u', text: 'x', at: 'now' }, { id: 'n2', userId: 'u', text: 'y', at: 'now' }]);
      }),
      ...updatesOf(source, () => roots.memory.delete(0, 6)),
      ...updatesOf(source, () => roots.chat.delete(0, 1)),
    ];
    // The whole state too: several clients' runs, gaps and a delete set in one update.
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(source));
    sharedRoots(other).memory.insert(0, 'from another client ');
    updates.push(Y.encodeStateAsUpdate(other));
    for (const update of updates) Y.applyUpdate(replica, encodeDecodedUpdate(Y.decodeUpdate(update)));
    expect(replica.getText('memory').toString()).toBe(other.getText('memory').toString());
    expect(replica.getArray('chat').toJSON()).toEqual([]);
    expect(replica.getMap('comments').toJSON()).toEqual(other.getMap('comments').toJSON());
    expect(Y.encodeStateVector(replica)).toEqual(Y.encodeStateVector(other));
  });
});

describe('stampAuthors', () => {
  it('replaces a forged author on a chat message and a comment, keeping the rest', () => {
    const client = new Y.Doc();
    const roots = sharedRoots(client);
    const [chat] = updatesOf(client, () => roots.chat.push([{ id: 'c1', userId: 'admin-id', name: 'admin', text: 'trust me', at: 'now' }]));
    // One transaction, as the console writes it: the thread and its first note in one update.
    const [comment] = updatesOf(client, () =>
      client.transact(() => {
        const list = new Y.Array<Record<string, unknown>>();
        client.getMap<Y.Array<Record<string, unknown>>>('comments').set('t1:a.txt:1', list);
        list.push([{ id: 'n1', userId: 'admin-id', name: 'admin', author: 'admin', text: 'approved', at: 'now' }]);
      }),
    );
    const server = new Y.Doc();
    for (const update of [chat, comment]) {
      const result = stampAuthors(update as Uint8Array, rae);
      expect(result.kind).toBe('rewritten');
      if (result.kind === 'rewritten') Y.applyUpdate(server, result.update);
    }
    expect(server.getArray('chat').toJSON()).toEqual([{ id: 'c1', userId: 'tok-rae', name: 'rae', text: 'trust me', at: 'now' }]);
    expect(server.getMap('comments').toJSON()).toEqual({ 't1:a.txt:1': [{ id: 'n1', userId: 'tok-rae', name: 'rae', text: 'approved', at: 'now' }] });
  });

  it('leaves honest writes and text edits byte for byte as they are', () => {
    const client = new Y.Doc();
    const roots = sharedRoots(client);
    const [honest] = updatesOf(client, () => roots.chat.push([{ id: 'c1', userId: 'tok-rae', name: 'rae', text: 'hi', at: 'now' }]));
    const [typing] = updatesOf(client, () => roots.memory.insert(0, 'notes'));
    expect(stampAuthors(honest as Uint8Array, rae)).toEqual({ kind: 'unchanged' });
    expect(stampAuthors(typing as Uint8Array, rae)).toEqual({ kind: 'unchanged' });
  });

  it('refuses a note written as a nested map (an overwrite of its author key would not be visible)', () => {
    const client = new Y.Doc();
    const [nested] = updatesOf(client, () => {
      const note = new Y.Map<string>();
      client.getArray('chat').push([note]);
      note.set('name', 'admin');
    });
    expect(stampAuthors(nested as Uint8Array, rae).kind).toBe('refused');
  });
});
