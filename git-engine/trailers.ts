// Commit/tag messages with git trailers. Every object the orchestrator writes ends with the
// `Agent`, `Session`, `Task` and `Orchestrator-Version` trailers (readable with
// `git log --format=%(trailers)`); extra trailers are validated so nothing can break the block.
import { GitEngineError } from './errors.js';

export interface StandardTrailers { agent: string; sessionId: string; taskId: string; orchestratorVersion: string }

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const RESERVED = new Set(['agent', 'session', 'task', 'orchestrator-version']);

function checkValue(key: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > 1000 || /[\r\n\0]/.test(value)) {
    throw new GitEngineError('INVALID_NAME', `trailer ${key} must be a single non-empty line`, { key });
  }
  return value.trim();
}

export function validateExtraTrailers(extra: unknown): Array<[string, string]> {
  if (extra === undefined || extra === null) return [];
  if (typeof extra !== 'object' || Array.isArray(extra)) throw new GitEngineError('INVALID_NAME', 'extraTrailers must be an object');
  return Object.entries(extra as Record<string, unknown>).map(([k, v]) => {
    if (!KEY_RE.test(k) || RESERVED.has(k.toLowerCase())) throw new GitEngineError('INVALID_NAME', `bad trailer key ${k}`, { key: k });
    return [k, checkValue(k, v)] as [string, string];
  });
}

export function withTrailers(message: string, std: StandardTrailers, extra: Array<[string, string]> = []): string {
  const body = message.replace(/\r\n/g, '\n').replace(/\0/g, '').trim() || 'Thalogos commit';
  const lines: Array<[string, string]> = [
    ['Agent', checkValue('Agent', std.agent)],
    ['Session', std.sessionId],
    ['Task', std.taskId],
    ['Orchestrator-Version', checkValue('Orchestrator-Version', std.orchestratorVersion)],
    ...extra,
  ];
  return `${body}\n\n${lines.map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
}
