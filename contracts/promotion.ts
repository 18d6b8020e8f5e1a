// Environment promotion (issue 15): what a promotion asks for, how it ends, and what the session
// keeps of it. git-engine builds the results, the session machine records them, the API serves them.
import { z } from 'zod';
import { CodedErrorSchema, GateResultSchema } from './save.js';

/** Approvals an environment requires before a promotion to it runs. */
export const ApprovalRuleSchema = z.object({ count: z.number().int().min(1).max(20), role: z.enum(['reviewer', 'operator']) });
export type ApprovalRule = z.infer<typeof ApprovalRuleSchema>;

const moved = { environment: z.string(), checkpoint: z.string(), commit: z.string(), previous: z.string().nullable() };

export const PromotionResultSchema = z.discriminatedUnion('status', [
  /** `release/{environment}` moved from `previous` to `commit`. */
  z.object({ status: z.literal('promoted'), ...moved, gates: z.array(GateResultSchema) }),
  /** A gate of the environment failed: `release/{environment}` did not move. */
  z.object({ status: z.literal('gates_failed'), ...moved, gates: z.array(GateResultSchema) }),
  /** Refused or failed (PROMOTION_NOT_FAST_FORWARD, BRANCH_MOVED, INTERRUPTED, ...): nothing moved. */
  z.object({ status: z.literal('error'), error: CodedErrorSchema }),
]);
export type PromotionResult = z.infer<typeof PromotionResultSchema>;

export const ApprovalSchema = z.object({ by: z.string(), at: z.string() });

/** A promotion asked for and not finished: waiting for approvals, or running (gates, ref move). */
export const PendingPromotionSchema = z.object({
  promotionId: z.string(),
  checkpoint: z.string(),
  environment: z.string(),
  requestedAt: z.string(),
  requestedBy: z.string(),
  /** null: the environment needs no approval. */
  required: ApprovalRuleSchema.nullable(),
  approvals: z.array(ApprovalSchema),
  state: z.enum(['awaiting_approval', 'running']),
});
export type PendingPromotion = z.infer<typeof PendingPromotionSchema>;

export const PromotionRecordSchema = PendingPromotionSchema.omit({ state: true }).extend({ completedAt: z.string(), result: PromotionResultSchema });
export type PromotionRecord = z.infer<typeof PromotionRecordSchema>;

/** `release/{environment}` moved back to an earlier checkpoint it held. */
export const EnvironmentRollbackRecordSchema = z.object({
  environment: z.string(), checkpoint: z.string(), commit: z.string(), previous: z.string(), at: z.string(), by: z.string(),
});
export type EnvironmentRollbackRecord = z.infer<typeof EnvironmentRollbackRecordSchema>;

/** One environment as the API and the console show it: what `release/{name}` holds now. */
export const EnvironmentViewSchema = z.object({
  name: z.string(),
  branch: z.string(),
  head: z.string().nullable(),
  checkpoint: z.string().nullable(),
  gates: z.array(z.string()),
  approvals: ApprovalRuleSchema.nullable(),
});
export type EnvironmentView = z.infer<typeof EnvironmentViewSchema>;
