// The console stack with a Codex planner answering from the scripted model server: shared by the
// plan browser test and the plan-editor screenshot.
import { codexSetup, type CliSetup } from './fake-model/cli-setup.js';
import { startFakeModel, type FakeModelServer } from './fake-model/server.js';
import type { ConsoleStackOptions } from './helpers/browser.js';
import { planAnswer } from './planner-harness.js';

export interface PlannerModel { model: FakeModelServer; setup: CliSetup; close(): Promise<void> }

/** Starts the model server answering `plan` and returns the stack options pointing Codex at it. */
export async function plannerStackOptions(plan: unknown, holder: { current: PlannerModel | null }): Promise<ConsoleStackOptions> {
  const model = await startFakeModel({ turns: [{ kind: 'text', text: planAnswer(plan) }] });
  const setup = await codexSetup(model.url, 90_000);
  holder.current = { model, setup, close: async () => { await model.close(); await setup.cleanup(); } };
  return {
    config: {
      adapters: { order: ['codex', 'command'], adapters: { codex: { enabled: true, ...setup.config }, claude: { enabled: false }, gemini: { enabled: false } } },
      sessions: { maxParallel: 4, taskTimeoutMs: 60_000, maxRetries: 0 },
    },
  };
}
