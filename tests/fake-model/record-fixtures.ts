// Records the raw stdout of each installed CLI against the fake model server, as parser fixtures:
//   npx tsx tests/fake-model/record-fixtures.ts [codex|claude|gemini ...]
// Writes adapters/fixtures/<cli>-<version>.jsonl (edit a file, then answer) and
// <cli>-<version>.401.jsonl (the model answers 401), and for codex .shell.jsonl (shell tool). Run it after upgrading a CLI.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADAPTERS, AdapterConfigSchema, createAdapterRegistry } from '../../adapters/index.js';
import { PROJECT_ROOT } from './cli-contract.js';
import { claudeSetup, codexSetup, geminiSetup, tempGitRepo, type CliSetup } from './cli-setup.js';
import type { FakeTurn } from './script.js';
import { startFakeModel } from './server.js';

const SETUPS: Record<string, (url: string) => Promise<CliSetup>> = { codex: codexSetup, claude: claudeSetup, gemini: geminiSetup };

async function record(cli: string, suffix: string, turns: (repo: string) => FakeTurn[], model?: string): Promise<string> {
  const adapter = ADAPTERS.find((a) => a.id === cli)!;
  const repo = await tempGitRepo();
  const server = await startFakeModel({ turns: turns(repo.dir) });
  const setup = await SETUPS[cli]!(server.url);
  if (model) setup.config.model = model;
  try {
    const registry = createAdapterRegistry({ config: { order: [cli], adapters: { [cli]: { enabled: true, ...setup.config } } }, env: process.env, projectRoot: PROJECT_ROOT, adapters: [adapter] });
    const [status] = await registry.handshakeAll();
    if (status?.status !== 'available' || !status.binPath) throw new Error(`${cli}: ${status?.reason}`);
    const cmd = adapter.buildCommand({ runId: 'record', cwd: repo.dir, prompt: 'Create hello.txt saying hello.' },
      AdapterConfigSchema.parse(setup.config), { bin: status.binPath, env: process.env });
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(cmd.bin, cmd.args, { cwd: cmd.cwd, env: cmd.env, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
    // Paths of the throwaway repo would make every recording differ; keep them stable.
    const stable = stdout.replaceAll(repo.dir, '/tmp/thalogos-fixture-repo');
    const file = join(PROJECT_ROOT, 'adapters', 'fixtures', `${cli}-${status.descriptor.cliVersion}${suffix}.jsonl`);
    await writeFile(file, stable);
    return file;
  } finally {
    await server.close();
    await repo.cleanup();
    await setup.cleanup();
  }
}

const wanted = process.argv.slice(2);
for (const cli of wanted.length > 0 ? wanted : Object.keys(SETUPS)) {
  console.log(await record(cli, '', (repo) => [
    { kind: 'write_file', path: join(repo, 'hello.txt'), content: 'hello from the fake model\n' },
    { kind: 'text', text: 'All done.' },
  ]));
  if (cli === 'codex') {
    // A model Codex has no metadata for gets the shell tool instead of apply_patch: command events.
    console.log(await record(cli, '.shell', (repo) => [
      { kind: 'write_file', path: join(repo, 'hello.txt'), content: 'hello from the fake model\n' },
      { kind: 'text', text: 'All done.' },
    ], 'fake-model'));
  }
  console.log(await record(cli, '.401', () => [{ kind: 'status', status: 401, message: 'invalid x-api-key' }]));
}
