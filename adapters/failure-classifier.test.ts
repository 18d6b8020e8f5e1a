import { describe, expect, it } from 'vitest';
import { classifyFailureText, classifyStandardExit, isTransient } from './failure-classifier.js';

describe('failure classification', () => {
  it.each([
    ['unexpected status 401 Unauthorized: invalid x-api-key', 'AGENT_AUTH'],
    ['Invalid API key · Fix external API key', 'AGENT_AUTH'],
    ['Not logged in · Please run /login', 'AGENT_AUTH'],
    ['429 Too Many Requests', 'AGENT_RATE_LIMITED'],
    ['RESOURCE_EXHAUSTED: quota exceeded', 'AGENT_RATE_LIMITED'],
    ['unexpected status 503 Service Unavailable', 'AGENT_UPSTREAM'],
    ['We’re currently experiencing high demand, which may cause temporary errors.', 'AGENT_UPSTREAM'],
    ['stream disconnected before completion: error sending request', 'AGENT_NETWORK'],
    ['connect ECONNREFUSED 127.0.0.1:9', 'AGENT_NETWORK'],
    ["error: unexpected argument '--full-auto' found", 'AGENT_USAGE'],
    ['the agent gave up', 'AGENT_FAILED'],
    ['[API Error: {"error":{"code":503,"message":"try later","status":"UNAVAILABLE"}}]', 'AGENT_UPSTREAM'],
    ['[API Error: {"error":{"code":401,"message":"bad key","status":"UNAUTHENTICATED"}}]', 'AGENT_AUTH'],
    ['HTTP/1.1 502 Bad Gateway', 'AGENT_UPSTREAM'],
    // Billing exhausted is not transient, even though OpenAI sends it with status 429.
    ['unexpected status 429 Too Many Requests: insufficient_quota', 'AGENT_QUOTA'],
    ['You exceeded your current quota, please check your plan and billing details.', 'AGENT_QUOTA'],
    // Bare numbers are not statuses; a URL path is not the /login command.
    ['SyntaxError: unexpected token at line 512', 'AGENT_FAILED'],
    ['wrote 401 lines to src/auth.ts', 'AGENT_FAILED'],
    ['GET https://example.com/api/login returned an empty page', 'AGENT_FAILED'],
    ['Loaded cached credentials.', 'AGENT_FAILED'],
  ])('%s -> %s', (text, code) => {
    expect(classifyFailureText(text)).toBe(code);
  });

  it('the CLI error text decides before stderr chatter; a structured HTTP status before both', () => {
    const chatter = 'Loaded cached credentials.\nPlease run /login if this persists';
    const upstream = classifyStandardExit({ exitCode: 1, signal: null, parsed: { reportedStatus: 'failed', errorText: 'unexpected status 503 Service Unavailable' }, stderrTail: chatter });
    expect(upstream.error).toEqual({ code: 'AGENT_UPSTREAM', message: 'unexpected status 503 Service Unavailable', transient: true });
    const structured = classifyStandardExit({ exitCode: 1, signal: null, parsed: { reportedStatus: 'failed', errorText: 'API Error', httpStatus: 529 }, stderrTail: chatter });
    expect(structured.error?.code).toBe('AGENT_UPSTREAM');
    // Without any error text, stderr still classifies.
    expect(classifyStandardExit({ exitCode: 1, signal: null, parsed: { reportedStatus: null, errorText: null }, stderrTail: 'connect ECONNREFUSED 127.0.0.1:9' }).error?.code).toBe('AGENT_NETWORK');
    expect(isTransient('AGENT_QUOTA')).toBe(false);
  });

  it('auth and usage errors are never transient; rate limits, 5xx, network and timeouts are', () => {
    expect(['AGENT_AUTH', 'AGENT_USAGE', 'AGENT_FAILED', 'AGENT_CANCELLED', 'AGENT_SPAWN_FAILED'].map(isTransient)).toEqual([false, false, false, false, false]);
    expect(['AGENT_RATE_LIMITED', 'AGENT_UPSTREAM', 'AGENT_NETWORK', 'AGENT_TIMEOUT'].map(isTransient)).toEqual([true, true, true, true]);
  });

  it('exit 0 succeeds unless the stream reported failure; mapped exit codes decide first', () => {
    const parsed = { reportedStatus: null, errorText: null };
    expect(classifyStandardExit({ exitCode: 0, signal: null, parsed, stderrTail: '' })).toEqual({ status: 'succeeded', error: null });
    expect(classifyStandardExit({ exitCode: 0, signal: null, parsed: { reportedStatus: 'failed', errorText: 'status 500: oops' }, stderrTail: '' }).error)
      .toEqual({ code: 'AGENT_UPSTREAM', message: 'status 500: oops', transient: true });
    expect(classifyStandardExit({ exitCode: 41, signal: null, parsed, stderrTail: 'network down' }, { 41: 'AGENT_AUTH' }).error?.code).toBe('AGENT_AUTH');
    expect(classifyStandardExit({ exitCode: null, signal: 'SIGSEGV', parsed, stderrTail: '' }).error?.message).toBe('killed by SIGSEGV');
  });
});
