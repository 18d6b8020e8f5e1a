/** JSON equality that ignores key order (a Yjs map does not keep the server's key order). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((item, i) => sameJson(item, (b as unknown[])[i]));
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left).filter((key) => left[key] !== undefined);
  if (keys.length !== Object.keys(right).filter((key) => right[key] !== undefined).length) return false;
  return keys.every((key) => sameJson(left[key], right[key]));
}

/**
 * Tells a state document that silently stopped following its session from one that is merely a
 * moment behind. The console compares the document's view with the API's now and then: a
 * difference is normal while an update is on its way, so the document counts as stale only when
 * two checks in a row differ and the document did not change in between (no update arrived for a
 * whole interval although the API has moved on). Why at all: a tab showing a frozen view as
 * "live" is worse than a slower one; a stale document sends the tab back to polling and
 * reconnecting, which fetches the document again.
 */
export class StaleDocumentCheck {
  private suspectVersion: number | null = null;

  /** `docVersion` counts the document's changes seen by this tab. */
  check(docView: unknown, docVersion: number, apiView: unknown): 'fresh' | 'suspect' | 'stale' {
    if (sameJson(docView, apiView)) {
      this.suspectVersion = null;
      return 'fresh';
    }
    if (this.suspectVersion === docVersion) {
      this.suspectVersion = null;
      return 'stale';
    }
    this.suspectVersion = docVersion;
    return 'suspect';
  }
}
