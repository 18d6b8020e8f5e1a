/**
 * Where a command's result goes: people get text made for reading (tables, short summaries),
 * scripts ask for `--json` and get the API's answer unchanged. Progress goes to stderr, so it
 * never mixes into what a script reads from stdout.
 */
export interface Output {
  readonly json: boolean;
  /** The command's result: `render` makes the text for people; `--json` prints `value` as-is. */
  result(value: unknown, render: () => string): void;
  /** A progress note while the command waits (stderr). */
  progress(text: string): void;
  /** The terminal's width when stdout is one; text for a pipe is not cut. */
  readonly width: number | null;
}

export function createOutput(json: boolean, stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Output {
  return {
    json,
    width: stdout.isTTY ? (stdout.columns ?? 100) : null,
    result(value, render) {
      const text = json ? JSON.stringify(value, null, 2) : render();
      if (text !== '') stdout.write(`${text}\n`);
    },
    progress(text) {
      stderr.write(`${text}\n`);
    },
  };
}
