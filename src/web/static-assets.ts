import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * The few static files the pages use (src/web/static), loaded once and served with a content
 * hash in the URL, so browsers keep them for a year and a new release changes the URL.
 */
const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

export interface StaticAssets {
  /** The versioned URL of a file, e.g. /assets/app.css?v=1a2b3c4d. */
  url(name: string): string;
}

let loaded: Map<string, { body: Buffer; type: string; hash: string }> | undefined;
function staticFiles() {
  if (loaded) return loaded;
  loaded = new Map();
  for (const name of readdirSync(DIR)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = readFileSync(path.join(DIR, name));
    loaded.set(name, { body, type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
  return loaded;
}

/** The versioned URL of a static file, e.g. /assets/app.css?v=1a2b3c4d5e6f. */
export function assetUrl(name: string): string {
  const file = staticFiles().get(name);
  if (!file) throw new Error(`no static asset ${name}`);
  return `/assets/${name}?v=${file.hash}`;
}

export function registerStaticAssets(app: FastifyInstance): StaticAssets {
  const files = staticFiles();
  app.get<{ Params: { name: string } }>('/assets/:name', { config: { access: { public: true, page: true } }, schema: { hide: true } }, async (request, reply) => {
    const file = files.get(request.params.name);
    if (!file) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    const etag = `"${file.hash}"`;
    reply.header('etag', etag).header('cache-control', 'public, max-age=31536000, immutable').type(file.type);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.send(file.body);
  });
  return {
    url: assetUrl,
  };
}
