// Public surface of sync/: Hocuspocus on the runtime's uWS app, the two Yjs documents per
// session, their projection and persistence. Nothing else in this folder is imported from outside.
export { createSyncServer } from './sync-server.js';
export type { SyncServer, SyncServerOptions, SyncUser, SyncRole } from './sync-server.js';
export { SyncError, isSyncError, SYNC_ERROR_CODES } from './errors.js';
export type { SyncErrorCode } from './errors.js';
export { documentName, parseDocumentName, isValidSessionId } from './document-name.js';
export type { SyncDocumentKind, SyncDocumentName } from './document-name.js';
export { STATE_ROOT, STATE_SCHEMA_VERSION, stateToJson } from './state-document.js';
export type { AgentEvent, AgentRun } from './state-document.js';
export { SHARED_ROOT, sharedRoots, commentKey, taskComments } from './shared-document.js';
export type { ChatMessage, Note, TaskLineComment } from './shared-document.js';
export { UwsSocketBridge } from './uws-socket-bridge.js';
export type { UwsSocketBridgeOptions } from './uws-socket-bridge.js';
