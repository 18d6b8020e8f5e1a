export const USAGE = `thalogos: run and steer a swarm of coding agents on a git repository

Usage:
  thalogos serve [--port N] [--host H] [--data-dir DIR] [--repo-roots A:B] [--config FILE] [--demo] [--repair-log]

  thalogos session create --repo PATH --title TITLE [--base BRANCH]   default: the branch checked out
  thalogos session list
  thalogos session show SESSION                 the session and its tasks
  thalogos task add SESSION --prompt TEXT [--agent codex|claude|gemini|command]
  thalogos task show SESSION TASK
  thalogos diff SESSION TASK                    what the task changed (also: task diff)
  thalogos task open SESSION TASK              prints the task's worktree path
  thalogos task cancel SESSION TASK
  thalogos task reject SESSION TASK [--reason TEXT]
  thalogos save SESSION [--tasks T1,T2] [--no-wait] [--timeout SECONDS]   --tasks: only those tasks
  thalogos save preview SESSION                 what a Save would merge, and the conflict it would meet
  thalogos plan SESSION --goal TEXT [--agent A] [--no-wait]   a planner proposes tasks (edit them in the console)
  thalogos plan show SESSION PLAN
  thalogos plan approve SESSION PLAN            adds the plan's tasks; each starts after its dependencies
  thalogos task approve SESSION TASK            (with --require-approval on, only approved tasks are saved)
  thalogos task request-changes SESSION TASK --message TEXT   the same agent conversation goes on
  thalogos task reapply SESSION TASK           work a rollback took off main: merge it again next Save
  thalogos task rework SESSION TASK            or run its prompt again as a new task
  thalogos session settings SESSION --require-approval on|off
  thalogos rollback SESSION CHECKPOINT [--mode restore_commit|branch] [--no-wait]
  thalogos checkpoints SESSION
  thalogos promote SESSION CHECKPOINT --to ENV [--no-wait] [--timeout SECONDS]   release/ENV, fast-forward only
  thalogos approve SESSION PROMOTION            approve a promotion waiting for approvals
  thalogos environments SESSION                 what each environment's release/ branch holds
  thalogos environment rollback SESSION ENV CHECKPOINT   release/ENV back to an earlier checkpoint
  thalogos resume SESSION                       after a failed Save: let tasks run again
  thalogos conflict show SESSION
  thalogos conflict resolve SESSION [--take ours|theirs] [PATH[#HUNK]=ours|theirs ...] [--task TASK]
                                  also per hunk: PATH#HUNK=both (ours, then theirs), PATH#HUNK=@FILE
                                  (FILE holds the hunk's new text; @- reads standard input)
  thalogos conflict delegate SESSION [--agent codex|claude|gemini] [--task TASK]
  thalogos events SESSION [--after SEQ] [--task TASK]
  thalogos replay SESSION [--until SEQ]
  thalogos members list SESSION
  thalogos members add SESSION TOKEN_ID --role viewer|reviewer|operator
  thalogos members remove SESSION TOKEN_ID
  thalogos token create --name NAME --role viewer|reviewer|operator|admin
  thalogos token create --data-dir DIR --name NAME --role admin   (server stopped: lost admin token)
  thalogos token create --cluster --name NAME --role admin        (cluster mode: into Redis, from THALOGOS_REDIS_*)
  thalogos token list
  thalogos token revoke TOKEN_ID
  thalogos audit verify
  thalogos agents [--refresh]
  thalogos whoami

Output is made for reading; add --json for the API's answer as JSON (for scripts).
Client commands talk to a running server: --url, or THALOGOS_URL, or the server that runs on
THALOGOS_DATA_DIR (./.thalogos; it records its URL there), or http://THALOGOS_HOST:THALOGOS_PORT.
They authenticate with --token or THALOGOS_TOKEN (the admin token printed at first start).
Server settings: THALOGOS_PORT (7420), THALOGOS_HOST (127.0.0.1), THALOGOS_DATA_DIR (./.thalogos),
THALOGOS_ADMIN_TOKEN, THALOGOS_REPO_ROOTS (path-delimited), THALOGOS_CONFIG (<data dir>/config.json).
--repair-log (THALOGOS_REPAIR_LOG=1) starts despite a damaged event log and records the loss
(docs/runbooks/log-corruption.md).
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}
