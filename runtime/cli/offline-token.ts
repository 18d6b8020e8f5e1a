import { existsSync } from 'node:fs';
import path from 'node:path';
import { Level } from 'level';
import { RoleSchema, type Role } from '../auth/roles.js';
import { TokenStore } from '../auth/token-store.js';
import { ClusterConfigError } from '../cluster/cluster-config.js';
import { EventLog } from '../log/event-log.js';
import { UsageError } from './usage.js';

export class OfflineTokenError extends Error {
  override readonly name = 'OfflineTokenError';
  constructor(
    readonly code: 'SERVER_RUNNING' | 'NO_DATA_DIR' | 'NO_CLUSTER',
    message: string,
  ) {
    super(message);
  }
}

/**
 * `thalogos token create --data-dir DIR ...`: mints a token straight into a stopped server's
 * LevelDB, for when the last admin token is lost (the API needs a token to mint one). The token
 * row and its TOKEN.CREATED audit entry are written in one batch, as the API does. LevelDB allows
 * one process per database: while the server runs, the open fails on its lock and we say so.
 */
export async function createTokenOffline(input: { dataDir: string; name: string; role: string }): Promise<Record<string, unknown>> {
  const { name, role } = checkedTokenInput(input);
  const location = path.join(path.resolve(input.dataDir), 'db');
  // Never create a fresh database in a mistyped directory: the token would land nowhere useful.
  if (!existsSync(path.join(location, 'CURRENT'))) {
    throw new OfflineTokenError('NO_DATA_DIR', `no Thalogos database in ${input.dataDir} (expected ${location})`);
  }
  const db = new Level<string, unknown>(location, { valueEncoding: 'json' });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new OfflineTokenError(
        'SERVER_RUNNING',
        `the server is running on ${input.dataDir} (its database is locked); stop it first, or create the token through the API with --url and --token`,
      );
    }
    throw error;
  }
  try {
    const log = await EventLog.open(db);
    const tokens = await TokenStore.open(db);
    const actor = { kind: 'system' as const, id: 'cli-offline' };
    const { token, record } = await tokens.create({ name, role, createdBy: actor.id }, async (created, write) => {
      await log.appendOne({ actor, sessionId: null, type: 'TOKEN.CREATED', data: { id: created.id, name: created.name, role: created.role, source: 'offline' } }, [write]);
    });
    return { token, ...record };
  } finally {
    await db.close();
  }
}

/** The token's name and role as the API checks them; a usage error otherwise. */
export function checkedTokenInput(input: { name: string; role: string }): { name: string; role: Role } {
  const role = RoleSchema.safeParse(input.role);
  if (!role.success) throw new UsageError(`--role must be one of viewer, reviewer, operator, admin; got ${input.role}`);
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) throw new UsageError('--name must be 1 to 100 characters');
  return { name, role: role.data };
}

/** The CLI command: prints the new token (shown once) or a one-line error; returns the exit code. */
export async function offlineToken(mint: () => Promise<Record<string, unknown>>, print: (value: unknown) => void): Promise<number> {
  try {
    print(await mint());
    return 0;
  } catch (error) {
    if (error instanceof ClusterConfigError) {
      process.stderr.write(`thalogos: ${error.code}: ${error.message}\n`);
      return 2;
    }
    if (!(error instanceof OfflineTokenError)) throw error;
    process.stderr.write(`thalogos: ${error.code}: ${error.message}\n`);
    return 1;
  }
}
