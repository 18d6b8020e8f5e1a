import { describe, expect, it } from 'vitest';
import { documentName, parseDocumentName } from './document-name.js';
import { SyncError } from './errors.js';

describe('document names', () => {
  it('parses the two per-session documents', () => {
    expect(parseDocumentName('session/01HX-abc_1.2/state')).toEqual({ sessionId: '01HX-abc_1.2', kind: 'state', name: 'session/01HX-abc_1.2/state' });
    expect(parseDocumentName('session/s1/shared').kind).toBe('shared');
    expect(documentName('s1', 'shared')).toBe('session/s1/shared');
  });

  it.each(['session/s1/other', 'session//state', 'session/../state', 'session/a/b/state', 'session/s!1/state', 'x', 42, null, `session/${'a'.repeat(200)}/state`])(
    'refuses %s',
    (name) => {
      try {
        parseDocumentName(name);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(SyncError);
        expect((error as SyncError).code).toBe('SYNC_BAD_DOCUMENT_NAME');
        expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: 'SYNC_BAD_DOCUMENT_NAME' });
      }
    },
  );
});
