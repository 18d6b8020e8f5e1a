// Public surface of runtime/console: the web console served from the runtime's own uWS app.
export { createConsoleHandler } from './console-handler.js';
export type { ConsoleHandler, ConsoleHandlerOptions } from './console-handler.js';
export { readStaticFile, resolveStaticPath } from './static-files.js';
