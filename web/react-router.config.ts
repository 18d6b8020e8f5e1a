import type { Config } from '@react-router/dev/config';

// Server rendering on: the runtime serves the build through createRequestHandler (runtime/console).
// Data is fetched in the browser with the signed-in token, so SSR renders the shell only.
export default {
  appDirectory: 'app',
  buildDirectory: 'build',
  ssr: true,
} satisfies Config;
