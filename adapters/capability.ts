import { z } from 'zod';

/** What an adapter can do, served by `GET /api/agents` and used by the router. */
export const CapabilityDescriptorSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  cliVersion: z.string().nullable(),
  defaultModel: z.string().nullable(),
  streams: z.boolean(),
  canResume: z.boolean(),
  sandboxModes: z.array(z.string()),
  structuredFinalOutput: z.boolean(),
  costPerMTokens: z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }).nullable(),
});
export type CapabilityDescriptor = z.infer<typeof CapabilityDescriptorSchema>;

/** `checking`: the first handshake since start-up is still running (the server listens meanwhile). */
export type HandshakeStatus = 'checking' | 'available' | 'missing' | 'unauthenticated' | 'incompatible' | 'disabled';

export interface AdapterStatus {
  id: string;
  status: HandshakeStatus;
  /** Why it is not available (null when it is). */
  reason: string | null;
  descriptor: CapabilityDescriptor;
  binPath: string | null;
  /** ISO time of the handshake. */
  checkedAt: string;
  /** How this adapter's runs are confined (docs/adapters.md, "Sandbox"). */
  sandbox: { mode: 'bubblewrap' | 'off'; network: 'on' | 'none'; limits: string; warning: string | null };
}
