import { z } from 'zod';

/**
 * One scripted model turn. The server is stateless about the conversation: the i-th turn answers a
 * request that already carries i tool results, so retries and side requests never shift the script.
 */
export const FakeTurnSchema = z.discriminatedUnion('kind', [
  // A tool call that creates `path` (absolute, inside the CLI's workspace) holding `content`,
  // expressed with whichever file or shell tool the CLI offered in its request.
  z.object({ kind: z.literal('write_file'), path: z.string().min(1), content: z.string() }),
  // A tool call that runs `command` with the CLI's shell tool (codex exec_command/shell, claude
  // Bash, gemini run_shell_command).
  z.object({ kind: z.literal('shell'), command: z.string().min(1) }),
  z.object({ kind: z.literal('text'), text: z.string() }),
  z.object({ kind: z.literal('status'), status: z.number().int().min(400).max(599), message: z.string().optional() }),
  // Accept the request and never answer (until the server closes).
  z.object({ kind: z.literal('hang') }),
]);
export type FakeTurn = z.infer<typeof FakeTurnSchema>;

export const FakeModelOptionsSchema = z.object({
  turns: z.array(FakeTurnSchema).min(1).default([{ kind: 'text', text: 'Done.' }]),
  usage: z.object({ input: z.number().int().nonnegative(), output: z.number().int().nonnegative() })
    .default({ input: 120, output: 30 }),
  /**
   * Scripts for a later prompt in the same conversation (a resumed session): a request whose user
   * text after `when`'s first appearance is answered from `turns`, counting only the tool results
   * after that prompt. Without a match, `turns` answers as usual.
   */
  followUps: z.array(z.object({ when: z.string().min(1), turns: z.array(FakeTurnSchema).min(1) })).default([]),
});
export type FakeModelOptions = z.input<typeof FakeModelOptionsSchema>;
export type ResolvedFakeModelOptions = z.output<typeof FakeModelOptionsSchema>;

/** The turn for a request that carries `toolResults` tool results: the last turn repeats. */
export function pickTurn(turns: readonly FakeTurn[], toolResults: number): FakeTurn {
  const turn = turns[Math.min(toolResults, turns.length - 1)];
  if (!turn) throw new Error('fake-model: empty script');
  return turn;
}

/** A request's conversation as the script reads it: user prompts and tool results, in order. */
export type ConversationStep = { kind: 'prompt'; text: string } | { kind: 'tool_result' };

/** The turn for a request: from the follow-up whose marker a prompt holds, else from `turns`. */
export function pickScriptedTurn(opts: ResolvedFakeModelOptions, steps: readonly ConversationStep[]): FakeTurn {
  for (const followUp of [...opts.followUps].reverse()) {
    const at = steps.findIndex((step) => step.kind === 'prompt' && step.text.includes(followUp.when));
    if (at >= 0) return pickTurn(followUp.turns, steps.slice(at + 1).filter((step) => step.kind === 'tool_result').length);
  }
  return pickTurn(opts.turns, steps.filter((step) => step.kind === 'tool_result').length);
}

/** A POSIX shell line that writes `content` to `path`, for CLIs that only offered a shell tool. */
export function shellWrite(path: string, content: string): string {
  return `printf '%s' ${shellQuote(content)} > ${shellQuote(path)}`;
}

export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
