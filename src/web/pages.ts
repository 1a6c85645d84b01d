/**
 * The widget's pages and assets, served by the same server as the API: /widget.js (the one-line
 * embed that puts an iframe on the host page), /widget (the booking page inside it, also usable
 * as an iframe directly), and /a/<token> (the self-service page of one appointment). The client is
 * plain JavaScript in ./assets, read once at start-up: nothing is built or downloaded.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.js';

/** src/web/assets, from the sources (tsx) or from dist/ (tsc does not copy them). */
function assetDir(): string {
  const here = fileURLToPath(new URL('./assets/', import.meta.url));
  return existsSync(here) ? here : fileURLToPath(new URL('../../../src/web/assets/', import.meta.url));
}

let cache: Record<string, string> | undefined;
export function assets(): Record<string, string> {
  if (!cache) {
    const dir = assetDir();
    cache = Object.fromEntries(['embed.js', 'app.js', 'app.css'].map((f) => [f, readFileSync(dir + f, 'utf8')]));
  }
  return cache;
}

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

export function sendAsset(res: Response, name: string): void {
  res.set('Content-Type', TYPES[name.split('.').pop()!]!);
  res.set('Cache-Control', 'public, max-age=300');
  res.send(assets()[name]);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON inside a <script type="application/json">: "</script>" must not close the element. */
const safeJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

/** Where this business's routes are mounted, seen from this request ("" or "/b/maple"). */
function basePath(req: Request): string {
  const path = req.originalUrl.split('?')[0]!;
  return path.endsWith(req.path) ? path.slice(0, path.length - req.path.length) : '';
}

function page(deps: Deps, req: Request, res: Response, boot: Record<string, unknown>): void {
  const web = deps.config.web;
  const base = basePath(req);
  // Embeddable by the business's own sites (or any site when it listed none): frame-ancestors.
  const ancestors = web.allowedOrigins.length ? `'self' ${web.allowedOrigins.join(' ')}` : '*';
  res.set('Content-Security-Policy', `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors ${ancestors}`);
  res.set('Referrer-Policy', 'no-referrer');
  res.set('Cache-Control', 'no-store');
  const title = `${boot.mode === 'manage' ? 'Your appointment' : 'Book'} - ${deps.config.business.name}`;
  res.type('html').send(`<!doctype html>
<html lang="${escapeHtml(deps.config.business.locale.split('-')[0] ?? 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${base}/widget/app.css">
</head>
<body>
<main id="bookline" aria-live="off"><p class="loading" role="status">Loading…</p></main>
<script type="application/json" id="bookline-boot">${safeJson({ ...boot, base, key: web.widgetKey ?? null, brandColor: web.brandColor })}</script>
<script src="${base}/widget/app.js"></script>
</body>
</html>`);
}

export function webPagesRouter(deps: Deps): Router {
  const r = Router();
  r.get('/widget.js', (_req, res) => sendAsset(res, 'embed.js'));
  r.get('/widget/app.js', (_req, res) => sendAsset(res, 'app.js'));
  r.get('/widget/app.css', (_req, res) => sendAsset(res, 'app.css'));
  r.get('/widget', (req, res) => page(deps, req, res, { mode: 'book' }));
  r.get('/a/:token', (req, res) => {
    if (!deps.settings.WEB_LINK_SECRET || req.params.token.length > 600) {
      res.status(404).type('text').send('This link is not valid.');
      return;
    }
    page(deps, req, res, { mode: 'manage', token: req.params.token });
  });
  return r;
}
