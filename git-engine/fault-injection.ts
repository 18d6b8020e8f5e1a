// Crash-test hook. When THALOGOS_GIT_ENGINE_FAULT names a point the worker reaches, the whole
// process is killed with SIGKILL there (a real kill -9, no cleanup runs). Used by the crash-safety
// test, which runs a Save in a child process; unset in production, where this is a no-op.
export function faultPoint(name: string): void {
  if (process.env.THALOGOS_GIT_ENGINE_FAULT === name) process.kill(process.pid, 'SIGKILL');
}
