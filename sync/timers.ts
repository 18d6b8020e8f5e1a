/**
 * Lets a timer not hold the process open (housekeeping such as an idle release must never delay
 * exit). Timers of an injected clock may have no `unref`; then there is nothing to do.
 */
export function unrefTimer(handle: unknown): void {
  (handle as { unref?: () => void } | null)?.unref?.();
}
