/**
 * The operator API: the businesses of this deployment. `Authorization: Bearer $OPERATOR_API_KEY`
 * (distinct from every business's admin key); with no key configured it does not exist (404).
 * Secrets go in, never come out: answers say which are set.
 */
import express, { type Request, type Response, Router } from 'express';
import type { Runtime } from '../runtime.js';
import { createBusiness, listBusinesses, ManageError, setStatus, showBusiness, updateBusiness } from '../tenants/manage.js';
import type { TenantRegistry } from '../tenants/registry.js';
import { requireKey } from './auth.js';

export function operatorRouter(rt: Runtime, registry?: TenantRegistry): Router {
  const router = Router();
  // Unknown to anyone without the key: a plain 404, as for any path.
  router.use(requireKey(rt.settings.OPERATOR_API_KEY, 'not found'));
  router.use(express.json({ limit: '256kb' }));

  const handle =
    (fn: (req: Request) => Promise<unknown>, status = 200) =>
    async (req: Request, res: Response) => {
      try {
        const body = await fn(req);
        // This instance serves the change at once; the others within BUSINESS_REFRESH_MS.
        if (req.method !== 'GET') await registry?.refresh();
        res.status(status).json(body);
      } catch (err) {
        if (err instanceof ManageError) res.status(err.status).json({ error: err.message });
        else throw err;
      }
    };
  const body = (req: Request) => (req.body ?? {}) as Record<string, unknown>;
  const slug = (req: Request) => String(req.params.slug);

  router.get('/businesses', handle(async () => ({ businesses: await listBusinesses(rt) })));
  router.post('/businesses', handle(async (req) => ({ business: await createBusiness(rt, { slug: body(req).slug, config: body(req).config, secrets: body(req).secrets }) }), 201));
  router.get('/businesses/:slug', handle(async (req) => ({ business: await showBusiness(rt, slug(req)) })));
  router.patch('/businesses/:slug', handle(async (req) => ({ business: await updateBusiness(rt, slug(req), body(req)) })));
  router.post('/businesses/:slug/disable', handle(async (req) => ({ business: await setStatus(rt, slug(req), 'disabled') })));
  router.post('/businesses/:slug/enable', handle(async (req) => ({ business: await setStatus(rt, slug(req), 'active') })));
  return router;
}
