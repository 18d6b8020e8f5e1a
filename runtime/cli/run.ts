import { main } from './main.js';

// Exit explicitly once `main` is done: the server's handles (uWS, LevelDB, worker threads) are
// closed inside it, and client commands should not linger on keep-alive sockets.
process.exit(await main(process.argv.slice(2)));
