import fs from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import git from 'isomorphic-git';
import type { AppContext } from './api/app-context.js';
import { SYSTEM_ACTOR } from './log/log-entry.js';
import { newId } from './sessions/session-registry.js';

const DEMO_FILES: Record<string, string> = {
  'README.md': '# Thalogos demo\n\nA small project for trying Thalogos: add tasks, watch them run, Save, roll back.\n',
  'src/greet.js': "export function greet(name) {\n  return `Hello, ${name}!`;\n}\n",
  'check.js': "import { greet } from './src/greet.js';\nif (greet('Ada') !== 'Hello, Ada!') {\n  console.error('greet is broken');\n  process.exit(1);\n}\nconsole.log('checks passed');\n",
  'package.json': '{ "name": "thalogos-demo", "private": true, "type": "module" }\n',
  '.thalogos.json': '{ "gates": ["node check.js"] }\n',
};

/**
 * `npm start` on a fresh machine: a demo repository under the data dir and one session on it with
 * a first task for the always-available command agent, so the console has something to show.
 */
export async function ensureDemo(app: AppContext): Promise<{ sessionId: string; repoPath: string; created: boolean }> {
  const repoPath = path.join(app.config.dataDir, 'demo-repo');
  const existing = app.sessions.all().find((host) => host.meta.repoPath === repoPath);
  if (existing) return { sessionId: existing.id, repoPath, created: false };
  if (!fs.existsSync(path.join(repoPath, '.git'))) await createDemoRepository(repoPath);
  const by = { ...SYSTEM_ACTOR, name: 'demo' };
  const host = await app.sessions.create({ title: 'Demo session', repoPath, defaults: app.defaults, by });
  await host.submit(
    {
      type: 'TASK.ADD',
      taskId: newId('t'),
      prompt: "printf '\\n## Try it\\n\\nAdd a task, watch it run, then Save.\\n' >> README.md",
      agent: 'command',
      agentOrder: ['command'],
      at: new Date().toISOString(),
      by: 'demo',
    },
    { actor: by, command: true },
  );
  return { sessionId: host.id, repoPath, created: true };
}

async function createDemoRepository(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await git.init({ fs, dir, defaultBranch: 'main' });
  for (const [file, content] of Object.entries(DEMO_FILES)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
    await git.add({ fs, dir, filepath: file });
  }
  await git.commit({
    fs,
    dir,
    message: 'Demo project\n',
    author: { name: 'Thalogos', email: 'thalogos@localhost' },
  });
}
