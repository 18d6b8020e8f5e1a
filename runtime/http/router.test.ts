import { describe, expect, it } from 'vitest';
import { Router } from './router.js';
import type { Route } from './route.js';

const route = (method: Route['method'], pattern: string): Route => ({ method, pattern, access: 'public', handle: () => ({ status: 200, body: pattern }) });

describe('Router', () => {
  const router = new Router()
    .add(route('GET', '/api/sessions'))
    .add(route('POST', '/api/sessions'))
    .add(route('GET', '/api/sessions/:id'))
    .add(route('POST', '/api/sessions/:id/tasks/:taskId/cancel'));

  it('matches exact paths and captures params', () => {
    expect(router.match('GET', '/api/sessions')).toMatchObject({ kind: 'found' });
    expect(router.match('GET', '/api/sessions/abc')).toMatchObject({ kind: 'found', params: { id: 'abc' } });
    expect(router.match('POST', '/api/sessions/s1/tasks/t2/cancel')).toMatchObject({ params: { id: 's1', taskId: 't2' } });
  });

  it('tells a wrong method from an unknown path', () => {
    expect(router.match('DELETE', '/api/sessions')).toEqual({ kind: 'method_not_allowed', allowed: ['GET', 'POST'] });
    expect(router.match('GET', '/api/nothing')).toEqual({ kind: 'not_found' });
    expect(router.match('GET', '/api/sessions/a/b')).toEqual({ kind: 'not_found' });
  });

  it('decodes params and refuses malformed percent-encoding', () => {
    expect(router.match('GET', '/api/sessions/a%20b')).toMatchObject({ params: { id: 'a b' } });
    expect(router.match('GET', '/api/sessions/%E0%A4%A')).toEqual({ kind: 'not_found' });
  });
});
