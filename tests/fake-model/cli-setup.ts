import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Per-CLI adapter configuration that points a real CLI at the fake model server, using only each
 * CLI's documented custom-endpoint settings (the same ones a user sets for a proxy or local model).
 * The default run timeout (45 s) is below vitest's 60 s, so a stuck CLI fails its test cleanly.
 */
export interface CliSetup {
  /** A temp dir holding the CLI's own config home; remove with `cleanup()`. */
  home: string;
  config: { model?: string; args: string[]; env: Record<string, string>; timeoutMs: number };
  cleanup(): Promise<void>;
}

/** A proxy in the developer's environment must not swallow requests to the fake server. */
const NO_PROXY = { NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' };

export const FAKE_KEYS = {
  codex: 'sk-fake-codex-key-0123456789abcdef',
  claude: 'sk-ant-fake-claude-key-0123456789abcdef',
  gemini: 'AIza-fake-gemini-key-0123456789abcdef',
} as const;

/** Codex: a provider defined with `-c` overrides; `OPENAI_BASE_URL` is ignored by Codex. */
export async function codexSetup(serverUrl: string, timeoutMs = 45_000): Promise<CliSetup> {
  const home = await mkdtemp(join(tmpdir(), 'thalogos-codex-home-'));
  return {
    home,
    config: {
      // gpt-5.5 is a model Codex has metadata for, so it offers apply_patch (a file_change event).
      model: 'gpt-5.5',
      args: [
        '-c', 'model_provider="fake"',
        '-c', 'model_providers.fake.name="fake"',
        '-c', `model_providers.fake.base_url="${serverUrl}/v1"`,
        '-c', 'model_providers.fake.wire_api="responses"',
        '-c', 'model_providers.fake.env_key="FAKE_OPENAI_API_KEY"',
        '-c', 'model_providers.fake.request_max_retries=0',
        '-c', 'model_providers.fake.stream_max_retries=0',
      ],
      env: { ...NO_PROXY, CODEX_HOME: home, FAKE_OPENAI_API_KEY: FAKE_KEYS.codex },
      timeoutMs,
    },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

/** Claude Code: ANTHROPIC_BASE_URL (no /v1) and a throwaway CLAUDE_CONFIG_DIR. */
export async function claudeSetup(serverUrl: string, timeoutMs = 45_000): Promise<CliSetup> {
  const home = await mkdtemp(join(tmpdir(), 'thalogos-claude-home-'));
  return {
    home,
    config: {
      args: [],
      env: {
        ...NO_PROXY,
        ANTHROPIC_BASE_URL: serverUrl,
        ANTHROPIC_API_KEY: FAKE_KEYS.claude,
        CLAUDE_CONFIG_DIR: home,
        // Its Bash tool runs `bash -l`: the host's own profile (pyenv rehash and its lock file)
        // must not decide whether a test passes.
        HOME: home,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        CLAUDE_CODE_MAX_RETRIES: '0',
      },
      timeoutMs,
    },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

/**
 * Gemini CLI: GOOGLE_GEMINI_BASE_URL, a temp HOME whose settings select API-key auth (without it
 * the CLI ignores the key) and an explicit model: the default "auto" first
 * asks a classifier model and retries for ~90 s when the answer is not what it expects.
 */
export async function geminiSetup(serverUrl: string, timeoutMs = 45_000): Promise<CliSetup> {
  const home = await mkdtemp(join(tmpdir(), 'thalogos-gemini-home-'));
  await mkdir(join(home, '.gemini'), { recursive: true });
  await writeFile(join(home, '.gemini', 'settings.json'), JSON.stringify({
    security: { auth: { selectedType: 'gemini-api-key' } },
    // One attempt: the CLI otherwise retries a 5xx up to 10 times with backoff (minutes).
    general: { maxAttempts: 1 },
  }));
  return {
    home,
    config: {
      model: 'gemini-2.5-flash',
      args: [],
      env: {
        ...NO_PROXY,
        HOME: home,
        GOOGLE_GEMINI_BASE_URL: serverUrl,
        GEMINI_API_KEY: FAKE_KEYS.gemini,
        // No GEMINI_CLI_TRUST_WORKSPACE: the adapter's --skip-trust must be enough for a new worktree.
      },
      timeoutMs,
    },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

/** A temp git repository with one commit, standing in for a task worktree. */
export async function tempGitRepo(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'thalogos-adapter-repo-'));
  const git = (...args: string[]): void => { execFileSync('git', args, { cwd: dir, stdio: 'ignore' }); };
  git('init', '-q', '-b', 'main');
  await writeFile(join(dir, 'README.md'), '# scratch\n');
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'init');
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
