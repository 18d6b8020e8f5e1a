import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script (scripts/ runs without a build), no type declarations
import { quietStep } from './quiet-step.mjs';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _encoding, callback) {
        text += String(chunk);
        callback();
      },
    }),
    text: () => text,
  };
}

// Real child processes standing in for `npm ci` and the build: their chatter must not reach a
// first user's terminal unless the step fails.
const NOISY = "for (let i = 0; i < 7; i++) console.error('npm warn deprecated thing@1.0.' + i); console.log('The `envFile` option is deprecated');";

describe('npm start setup steps', () => {
  it('hide the output of a step that succeeds', () => {
    const out = sink();
    const err = sink();
    expect(quietStep(process.execPath, ['-e', NOISY], 'installing dependencies', { out: out.stream, err: err.stream })).toBe(true);
    expect(out.text()).toMatch(/^thalogos: installing dependencies\.\.\. done \(\d+ s\)\n$/);
    expect(err.text()).toBe('');
  });

  it('show everything of a step that fails', () => {
    const out = sink();
    const err = sink();
    expect(quietStep(process.execPath, ['-e', `${NOISY} process.exit(3)`], 'building', { out: out.stream, err: err.stream })).toBe(false);
    expect(out.text()).toBe('thalogos: building... failed\n');
    expect(err.text()).toContain('npm warn deprecated thing@1.0.6');
    expect(err.text()).toContain('envFile');
  });
});
