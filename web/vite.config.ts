import { reactRouter } from '@react-router/dev/vite';
import tailwindcss from '@tailwindcss/vite';
import { createLogger, defineConfig } from 'vite';

/**
 * React Router's plugin resolves its inner Vite configs with `envFile: false`, which Vite 8 reports
 * as deprecated once per config (nine lines per build that nobody here can act on). Only that one
 * warning is dropped; every other message passes.
 */
const logger = createLogger();
const warn = logger.warn.bind(logger);
logger.warn = (message, options) => {
  if (message.includes('`envFile` option is deprecated')) return;
  warn(message, options);
};

export default defineConfig({
  root: import.meta.dirname,
  customLogger: logger,
  plugins: [tailwindcss(), reactRouter()],
});
