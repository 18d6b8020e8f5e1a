export { startFakeModel } from './server.js';
export type { FakeModelServer, RecordedRequest } from './server.js';
export { FakeTurnSchema, FakeModelOptionsSchema, shellQuote, shellWrite } from './script.js';
export type { FakeTurn, FakeModelOptions } from './script.js';
export { codexSetup, claudeSetup, geminiSetup, tempGitRepo, FAKE_KEYS } from './cli-setup.js';
export type { CliSetup } from './cli-setup.js';
