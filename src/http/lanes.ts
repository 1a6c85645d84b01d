/**
 * The fast lane: POST /webhooks/vapi (and /b/<slug>/webhooks/vapi) answered before Express sees the
 * request. Vapi's webhook carries most tool calls of a voice turn, and Express's own work per
 * request (two app layers, the router's prefix tests, body-parser) measured about 250 us of the
 * ~900 us a find took under load. The lane calls the very handler Express mounts
 * (platforms/vapi.ts vapiHandler, which reads its own body), so the answer is the same either way;
 * anything the lane does not recognise exactly (another method, a different spelling of the path,
 * an unknown business) goes to Express untouched, which routes it as before.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Deps } from '../deps.js';
import { vapiHandler } from '../platforms/vapi.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface LaneOptions {
  /** The business at the root URLs, if any. */
  root?: Deps | undefined;
  /** Stored businesses under /b/<slug>/ (src/tenants/registry.ts). */
  tenants?: { get(slug: string): Promise<{ deps: Deps } | undefined> } | undefined;
  logger: Deps['logger'];
}

const VAPI = '/webhooks/vapi';
const TENANT_VAPI = /^\/b\/([a-z0-9][a-z0-9-]{0,62})\/webhooks\/vapi\/?$/;

export function withFastLanes(app: RequestListener, opts: LaneOptions): RequestListener {
  // One handler per business context: a replaced tenant context gets its own.
  const handlers = new WeakMap<Deps, Handler>();
  const handlerFor = (deps: Deps): Handler => {
    let h = handlers.get(deps);
    if (!h) handlers.set(deps, (h = vapiHandler(deps)));
    return h;
  };
  // The handler answers its own failures (platforms/vapi.ts), as it does under Express.
  const run = (deps: Deps, req: IncomingMessage, res: ServerResponse) => void handlerFor(deps)(req, res);

  return (req, res) => {
    if (req.method !== 'POST' || !req.url) return app(req, res);
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    if (opts.root && (path === VAPI || path === `${VAPI}/`)) return run(opts.root, req, res);
    const m = opts.tenants && path.startsWith('/b/') ? TENANT_VAPI.exec(path) : null;
    if (!m) return app(req, res);
    opts.tenants!.get(m[1]!).then(
      (tenant) => (tenant ? run(tenant.deps, req, res) : app(req, res)),
      (err: unknown) => {
        // Express asks again and answers the failure in its usual words.
        opts.logger.warn({ err, slug: m[1] }, 'business lookup failed in the fast lane');
        app(req, res);
      },
    );
  };
}
