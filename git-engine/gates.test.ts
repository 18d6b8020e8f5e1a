// Gates are real `sh -c` processes. A gate's result is decided when its shell exits; processes it
// leaves behind (in its group, or escaped with setsid) must neither turn a pass into a timeout
// nor block the Save.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GATE_OUTPUT_LIMIT, runGate, runGates } from './gates.js';
import { removeDir, tempDir } from './test-support.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) {
    // Kill what a gate escaped with setsid (its pid was written to a file), then remove the dir.
    const pidFile = path.join(d, 'escaped.pid');
    if (fs.existsSync(pidFile)) {
      const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
      try { if (pid > 0) process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    removeDir(d);
  }
});
const dir = () => { const d = tempDir('thalogos-gate-'); dirs.push(d); return d; };
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('runGate', () => {
  it('hands output over while the gate runs, not only in the result', async () => {
    let ended = false;
    const seen: Array<[string, string, boolean]> = [];
    // The gate waits (up to 10 s) for a file that only the listener creates on its first line, and
    // fails without it: it can only pass if its output reached the listener while it ran.
    const cwd = dir();
    const running = runGate('echo first; n=0; while [ ! -f go ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done; [ -f go ] || exit 7; echo second >&2', cwd, 20_000, process.env, GATE_OUTPUT_LIMIT, undefined, (stream, text) => {
      seen.push([stream, text, ended]);
      fs.writeFileSync(path.join(cwd, 'go'), '');
    }).then((result) => ((ended = true), result));
    const result = await running;
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, output: 'first\nsecond\n' });
    expect(seen).toEqual([['stdout', 'first\n', false], ['stderr', 'second\n', false]]);
  });

  it('a gate that exits 0 leaving a background process in its group passes (not timed out) and the leftover is killed', async () => {
    const cwd = dir();
    const r = await runGate('sleep 30 & echo $! > bg.pid; echo ok', cwd, 8_000);
    expect(r).toMatchObject({ exitCode: 0, timedOut: false });
    expect(r.output).toContain('ok');
    const pid = Number(fs.readFileSync(path.join(cwd, 'bg.pid'), 'utf8').trim());
    await expect.poll(() => alive(pid), { timeout: 5_000 }).toBe(false);
  }, 15_000);

  it('a gate whose child escapes with setsid and keeps stdout open resolves with its exit code', async () => {
    const cwd = dir();
    const r = await runGate("setsid sh -c 'echo $$ > escaped.pid; exec sleep 30' & sleep 0.2; echo done; exit 3", cwd, 20_000);
    expect(r).toMatchObject({ exitCode: 3, timedOut: false });
    expect(r.output).toContain('done');
  }, 15_000);

  it('a gate that times out resolves although an escaped (setsid) child holds its stdout', async () => {
    const cwd = dir();
    const r = await runGate("setsid sh -c 'echo $$ > escaped.pid; exec sleep 30' & echo started; sleep 30", cwd, 1_000);
    expect(r).toMatchObject({ exitCode: null, timedOut: true });
    expect(r.output).toContain('started');
  }, 15_000);

  it('an injected spawner starts the gate (its command line, its hooks) and the result waits for finished()', async () => {
    const cwd = dir();
    const calls: string[] = [];
    const r = await runGate('echo from-gate', cwd, 8_000, process.env, GATE_OUTPUT_LIMIT, (gate) => ({
      // The spawner decides the command line: here a wrapper that marks the output.
      bin: 'sh', args: ['-c', `echo wrapped; ${gate.command}`], cwd: gate.cwd, env: gate.env,
      started: (pid) => calls.push(`started ${pid > 0}`),
      finished: async () => { await new Promise((res) => setTimeout(res, 50)); calls.push('finished'); },
    }));
    expect(r).toMatchObject({ exitCode: 0, timedOut: false });
    expect(r.output).toBe('wrapped\nfrom-gate\n');
    expect(calls).toEqual(['started true', 'finished']);
  });

  it('a spawner that refuses (no sandbox) fails the gate run instead of running it unconfined', async () => {
    const cwd = dir();
    await expect(runGates(['touch ran.txt'], cwd, 8_000, process.env, () => { throw Object.assign(new Error('no bubblewrap'), { code: 'SANDBOX_UNAVAILABLE' }); }))
      .rejects.toMatchObject({ code: 'SANDBOX_UNAVAILABLE' });
    expect(fs.existsSync(path.join(cwd, 'ran.txt'))).toBe(false);
  });
});
