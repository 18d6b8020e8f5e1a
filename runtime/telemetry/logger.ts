import { pino, type Logger } from 'pino';

/**
 * One pino logger for the process. Children carry `sessionId` / `taskId`, so an operator can
 * follow one session or task through the log with a single filter. Secrets never reach it:
 * tokens are hashed before storage and agent output is redacted by the adapters.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'thalogos' },
      redact: { paths: ['req.headers.authorization', '*.token', 'token', '*.apiKey'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

export type { Logger };
