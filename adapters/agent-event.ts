import { z } from 'zod';

const stamp = { at: z.string(), seq: z.number().int().nonnegative() };

/** The normalised event every adapter emits, whatever its CLI printed. */
export const AgentEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message'), text: z.string(), role: z.literal('assistant').optional(), ...stamp }),
  z.object({ type: z.literal('reasoning'), text: z.string(), ...stamp }),
  z.object({ type: z.literal('command'), command: z.string(), exitCode: z.number().int().nullable(), output: z.string(),
    status: z.string().optional(),
    /** A live line's source (command adapter): stdout or stderr. */
    stream: z.enum(['stdout', 'stderr']).optional(),
    /** On the final event: every line was already streamed live, so the output need not be shown again. */
    streamed: z.boolean().optional(), ...stamp }),
  z.object({ type: z.literal('file_change'), path: z.string(), kind: z.string(), ...stamp }),
  z.object({ type: z.literal('tool_call'), name: z.string(), input: z.unknown().optional(), output: z.string().optional(), ...stamp }),
  z.object({ type: z.literal('usage'), inputTokens: z.number().nonnegative(), outputTokens: z.number().nonnegative(),
    cachedTokens: z.number().nonnegative().optional(), costUsd: z.number().nonnegative().nullable(), ...stamp }),
  z.object({ type: z.literal('error'), message: z.string(), code: z.string().optional(), ...stamp }),
  z.object({ type: z.literal('done'), finalMessage: z.string().nullable(), status: z.enum(['succeeded', 'failed']), ...stamp }),
  z.object({ type: z.literal('raw'), line: z.string(), reason: z.enum(['not_json', 'unknown_type', 'invalid']), ...stamp }),
]);
export type AgentEvent = z.infer<typeof AgentEventSchema>;

type Unstamped<T> = T extends unknown ? Omit<T, 'at' | 'seq'> : never;
/** An event as a parser produces it; the run stamps `at` and `seq`. */
export type AgentEventDraft = Unstamped<AgentEvent>;
