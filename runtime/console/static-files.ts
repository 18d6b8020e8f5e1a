import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Content types of what a Vite build emits; anything else is served as bytes. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Files under /assets/ carry a content hash in their name: they never change, cache them forever. */
export function cacheControlOf(urlPath: string): string {
  return urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}

export interface StaticFile {
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

/**
 * Maps a URL path to a regular file inside `root`, or null. A path that is not valid
 * percent-encoding, carries a NUL, or resolves outside `root` (`..`, encoded or not) is null too:
 * the caller then lets the app router answer, which knows no such page.
 */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const resolvedRoot = path.resolve(root);
  const candidate = path.resolve(resolvedRoot, `.${path.posix.normalize(`/${decoded}`)}`);
  if (candidate !== resolvedRoot && !candidate.startsWith(resolvedRoot + path.sep)) return null;
  return candidate;
}

/** Reads a static file of the client build, or null when there is none at that path. */
export async function readStaticFile(root: string, urlPath: string): Promise<StaticFile | null> {
  if (urlPath === '/' || urlPath.endsWith('/')) return null; // pages belong to the app router
  const file = resolveStaticPath(root, urlPath);
  if (file === null) return null;
  try {
    const info = await stat(file);
    if (!info.isFile()) return null;
    // Build outputs are small (hashed chunks, a few hundred KB at most): buffered whole.
    return { body: await readFile(file), contentType: contentTypeOf(file), cacheControl: cacheControlOf(urlPath) };
  } catch {
    return null;
  }
}
