import type { Config } from '@react-router/dev/config';

// Server rendering on: the runtime serves the build through createRequestHandler (runtime/console).
// Data is fetched in the browser with the signed-in token, so SSR renders the shell only.
export default {
  appDirectory: 'app',
  buildDirectory: 'build',
  ssr: true,
  // Each v8 flag decided explicitly (off: today's behaviour), so builds do not print a notice
  // per undecided flag. Turn one on when the console is ready for the v8 behaviour.
  future: {
    v8_middleware: false,
    v8_splitRouteModules: false,
    v8_viteEnvironmentApi: false,
    v8_passThroughRequests: false,
    v8_trailingSlashAwareDataRequests: false,
  },
} satisfies Config;
