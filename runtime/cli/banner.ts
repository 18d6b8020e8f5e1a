/**
 * What `thalogos serve` prints once it listens: where the console is, the admin token (only when
 * this start created it), the two exports the CLI needs, and where the data lives. Logs go to
 * stderr; this goes to stdout, so it stays readable between them.
 */
export interface BannerInput {
  version: string;
  url: string;
  dataDir: string;
  /** Set only when this start created the first admin token. */
  createdAdminToken: string | null;
  /** The operator gave the admin token in THALOGOS_ADMIN_TOKEN. */
  adminTokenFromEnv: boolean;
  demo: { sessionId: string; repoPath: string; created: boolean } | null;
}

export function banner(input: BannerInput): string {
  const token = input.createdAdminToken ?? (input.adminTokenFromEnv ? '$THALOGOS_ADMIN_TOKEN' : '<the admin token printed at first start>');
  const lines = [
    '',
    `  Thalogos ${input.version} is running: ${input.url}/`,
    '',
  ];
  if (input.createdAdminToken) {
    lines.push('  Admin token (shown only this once; it is stored as a hash, so keep it):', `    ${input.createdAdminToken}`, '');
  }
  lines.push(
    '  Use the CLI from another terminal:',
    `    export THALOGOS_URL=${input.url}`,
    `    export THALOGOS_TOKEN=${token}`,
    '    npx thalogos session list',
    '',
    `  Data: ${input.dataDir}`,
  );
  if (input.demo) lines.push(`  Demo session: ${input.demo.sessionId} on ${input.demo.repoPath}${input.demo.created ? ' (created now)' : ''}`);
  lines.push('  Stop with Ctrl-C.', '');
  return `${lines.join('\n')}\n`;
}
