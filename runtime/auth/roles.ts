import { z } from 'zod';

/** Roles are ordered: each includes every permission of the ones before it. */
export const ROLES = ['viewer', 'reviewer', 'operator', 'admin'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export function roleAtLeast(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}
