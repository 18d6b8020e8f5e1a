import type { SessionEffects } from '../../actors/index.js';
import type { AdapterRegistry } from '../../adapters/index.js';

/**
 * The server listens before the agent CLIs' handshakes end (`codex --version` and friends take
 * seconds), so a run can be asked for while its adapter still says `checking`: a task re-queued
 * by crash recovery, or one dispatched by the first command after a restart. Starting it then
 * would fail it with ADAPTER_UNAVAILABLE although the agent is fine, so its start waits for that
 * adapter's handshake. A cancel or timeout for a run still waiting is applied right after its
 * start, in order (the start reserves the run, so the cancel is not lost and the timeout counts
 * from the real start).
 */
export function runsAfterHandshake(effects: SessionEffects, adapters: Pick<AdapterRegistry, 'isChecking' | 'checked'>): SessionEffects {
  /** Runs waiting for their adapter, with what arrived for them meanwhile. */
  const waiting = new Map<string, Array<() => void>>();
  const overrides: Pick<SessionEffects, 'startRun' | 'cancelRun' | 'armTimeout'> = {
    startRun(params) {
      if (!adapters.isChecking(params.agent)) return effects.startRun(params);
      const after: Array<() => void> = [];
      waiting.set(params.runId, after);
      void adapters.checked([params.agent]).then(() => {
        waiting.delete(params.runId);
        effects.startRun(params);
        for (const call of after) call();
      });
    },
    cancelRun(params) {
      const after = waiting.get(params.runId);
      if (after) after.push(() => effects.cancelRun(params));
      else effects.cancelRun(params);
    },
    armTimeout(params) {
      const after = waiting.get(params.runId);
      if (after) after.push(() => effects.armTimeout(params));
      else effects.armTimeout(params);
    },
  };
  // Everything else is the effects' own (bound, whatever shape the object has).
  return new Proxy(effects, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof typeof overrides];
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
