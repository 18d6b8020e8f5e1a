export const USAGE = `thalogos: run and steer a swarm of coding agents on a git repository

Usage:
  thalogos serve [--port N] [--host H] [--data-dir DIR] [--repo-roots A:B] [--config FILE] [--demo]
  thalogos session create --repo PATH --title TITLE
  thalogos session list
  thalogos session show SESSION
  thalogos task add SESSION --prompt TEXT [--agent codex|claude|gemini|command]
  thalogos task cancel SESSION TASK
  thalogos save SESSION
  thalogos rollback SESSION CHECKPOINT [--mode restore_commit|branch]
  thalogos events SESSION [--after SEQ] [--task TASK]
  thalogos audit verify
  thalogos replay SESSION [--until SEQ]
  thalogos token create --name NAME --role viewer|reviewer|operator|admin
  thalogos token create --data-dir DIR --name NAME --role admin   (server stopped: lost admin token)
  thalogos agents [--refresh]

Client commands talk to a running server: --url (or THALOGOS_URL, default http://THALOGOS_HOST:THALOGOS_PORT)
and --token (or THALOGOS_TOKEN, then THALOGOS_ADMIN_TOKEN).
Server settings: THALOGOS_PORT (7420), THALOGOS_HOST (127.0.0.1), THALOGOS_DATA_DIR (./.thalogos),
THALOGOS_ADMIN_TOKEN, THALOGOS_REPO_ROOTS (path-delimited), THALOGOS_CONFIG (<data dir>/config.json).
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}
