import { main } from './main.js';

const code = await main(process.argv.slice(2));
// Exit explicitly once `main` is done: the server's handles (uWS, LevelDB, worker threads) are
// closed inside it, and client commands should not linger on keep-alive sockets. But first let
// stdout and stderr drain: on a pipe, Node queues what the reader has not taken yet (beyond the
// 64 KiB pipe buffer), and `process.exit` would drop it — `thalogos events S | wc -c` read 65536.
await Promise.all([drain(process.stdout), drain(process.stderr)]);
process.exit(code);

/** Resolves once everything written to `stream` so far has been handed to the OS. */
function drain(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    // A write's callback runs after it (and so every earlier write) is flushed; an empty write
    // still queues behind them. A closed reader (EPIPE) ends the wait too.
    stream.once('error', () => resolve());
    stream.write('', () => resolve());
  });
}
