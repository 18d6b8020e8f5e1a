import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { programRootUnderTmp } from './program-root.js';

describe('programRootUnderTmp', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names the topmost node_modules of a CLI installed under /tmp, nothing for programs elsewhere', () => {
    dir = mkdtempSync(path.join('/tmp', 'thalogos-program-root-'));
    const pkg = path.join(dir, 'node_modules', '@openai', 'codex', 'bin');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'codex.js'), '');
    mkdirSync(path.join(dir, 'node_modules', '.bin'));
    symlinkSync(path.join(pkg, 'codex.js'), path.join(dir, 'node_modules', '.bin', 'codex'));
    expect(programRootUnderTmp(path.join(dir, 'node_modules', '.bin', 'codex'))).toBe(path.join(dir, 'node_modules'));
    writeFileSync(path.join(dir, 'tool'), '');
    expect(programRootUnderTmp(path.join(dir, 'tool'))).toBe(dir);
    expect(programRootUnderTmp('/bin/sh')).toBeNull();
    expect(programRootUnderTmp('sh')).toBeNull();
    expect(programRootUnderTmp(path.join(os.tmpdir(), 'missing-bin'))).toBeNull();
  });
});
