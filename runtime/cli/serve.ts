import { loadConfig } from '../config/config.js';
import { VERSION } from '../version.js';
import { banner } from './banner.js';
import { str, type Flags } from './command.js';
import { writeServerFile } from './server-file.js';

/** `thalogos serve`: runs the runtime until SIGINT/SIGTERM. */
export async function serve(values: Flags, env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig({
    env,
    cwd: process.cwd(),
    flags: {
      ...(str(values.port) ? { port: str(values.port) } : {}),
      ...(str(values.host) ? { host: str(values.host) } : {}),
      ...(str(values['data-dir']) ? { dataDir: str(values['data-dir']) } : {}),
      ...(str(values['repo-roots']) ? { repoRoots: str(values['repo-roots']) } : {}),
      ...(str(values.config) ? { config: str(values.config) } : {}),
      ...(values.demo ? { demo: true } : {}),
      ...(str(values['log-level']) ? { logLevel: str(values['log-level']) } : {}),
      ...(values['repair-log'] ? { repairLog: true } : {}),
    },
  });
  // Loaded lazily so that client commands do not pay for the server's dependencies.
  const { startServer } = await import('../server.js');
  const { ensureDemo } = await import('../demo.js');
  // Listen first: /healthz answers at once; sessions are restored and agents checked meanwhile.
  const server = await startServer(config, { env, listenFirst: true });
  const removeServerFile = writeServerFile(config.dataDir, server.url);
  const demo = config.demo ? await server.ready.then(() => ensureDemo(server.context)) : null;
  process.stdout.write(
    banner({
      version: VERSION,
      url: server.url,
      dataDir: config.dataDir,
      createdAdminToken: server.createdAdminToken,
      adminTokenFromEnv: config.adminToken !== null,
      demo,
    }),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  removeServerFile();
  await server.close();
  return 0;
}
