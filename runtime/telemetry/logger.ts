import { pino, type Logger } from 'pino';
import { prettyStream } from './pretty-log.js';

/**
 * One pino logger for the process. Children carry `sessionId` / `taskId`, so an operator can
 * follow one session or task through the log with a single filter. Secrets never reach it:
 * tokens are hashed before storage and agent output is redacted by the adapters.
 *
 * Without a destination, logs go to stderr: as readable lines when stderr is a terminal (a person
 * watching `npm start`), as JSON lines otherwise (a service manager or log shipper). The
 * THALOGOS_LOG_FORMAT variable (json | pretty) overrides the choice.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): Logger {
  const options = {
    level,
    base: { service: 'thalogos' },
    redact: { paths: ['req.headers.authorization', '*.token', 'token', '*.apiKey'], censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  const pretty = env.THALOGOS_LOG_FORMAT ? env.THALOGOS_LOG_FORMAT === 'pretty' : process.stderr.isTTY === true;
  if (pretty) return pino(options, prettyStream(process.stderr, process.stderr.isTTY === true && !env.NO_COLOR));
  return pino(options, pino.destination({ fd: 2, sync: false }));
}

export type { Logger };
