import type { AdapterRegistry } from '../../adapters/index.js';
import type { GitEngine } from '../../git-engine/index.js';
import type { SyncServer } from '../../sync/index.js';
import type { MembershipStore } from '../auth/membership-store.js';
import type { SessionAccess } from '../auth/session-access.js';
import type { TokenStore } from '../auth/token-store.js';
import type { Config } from '../config/config.js';
import type { SessionLog } from '../storage/ports.js';
import type { SessionDefaults, SessionRegistry } from '../sessions/session-registry.js';
import type { Metrics } from '../telemetry/metrics.js';

/** What the route handlers may use; composed once in `server.ts`. */
export interface AppContext {
  config: Config;
  sessions: SessionRegistry;
  log: SessionLog;
  /** This node: its id and whether it runs in cluster mode (GET /healthz). */
  node?: { id: string; cluster: boolean };
  tokens: TokenStore;
  members: MembershipStore;
  access: SessionAccess;
  engine: GitEngine;
  sync: SyncServer;
  adapters: AdapterRegistry;
  metrics: Metrics;
  defaults: SessionDefaults;
  version: string;
  startedAt: Date;
  /** The runtime's clock: every timestamp a route writes comes from here (tests inject one). */
  now: () => Date;
  /** Where the start is (the server listens before sessions are restored and agents checked). */
  startup?: { sessionsRestored(): boolean; agentsChecked(): boolean };
}
