import { z } from 'zod';

/** Who caused an entry: a person (by token id), an agent run, or the runtime itself. */
export const ActorRefSchema = z.strictObject({
  kind: z.enum(['user', 'agent', 'system']),
  id: z.string(),
  name: z.string().optional(),
});
export type ActorRef = z.infer<typeof ActorRefSchema>;

export const LogEntrySchema = z.strictObject({
  seq: z.number().int().positive(),
  at: z.string(),
  actor: ActorRefSchema,
  sessionId: z.string().nullable(),
  taskId: z.string().nullable(),
  type: z.string(),
  data: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

/** What callers hand to the log; sequence, time and chain fields are assigned on append. */
export interface NewLogEntry {
  actor: ActorRef;
  sessionId: string | null;
  taskId?: string | null;
  type: string;
  data: unknown;
}

export const SYSTEM_ACTOR: ActorRef = { kind: 'system', id: 'runtime' };
