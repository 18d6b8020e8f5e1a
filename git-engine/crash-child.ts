// Child process for the crash-safety test (save-crash.test.ts): runs one Save with
// THALOGOS_GIT_ENGINE_FAULT set, so the worker kill -9s the whole process at that point.
import { createGitEngine } from './engine.js';

const [repoPath, integrationWorktreePath, taskIds] = process.argv.slice(2);
const engine = createGitEngine({ orchestratorVersion: '0.1.0-test', now: () => new Date('2026-03-04T05:06:07Z') });
const res = await engine.save({ repoPath: repoPath as string, sessionId: 's1', saveId: 'crash', taskIds: JSON.parse(taskIds as string) as string[], integrationWorktreePath: integrationWorktreePath as string });
process.stdout.write(`${JSON.stringify(res)}\n`);
await engine.close();
