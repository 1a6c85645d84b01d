/** Plain JSON tool calls for curl and custom integrations, and the generated definitions. */
import { Router } from 'express';
import { BUSY_RETRY_AFTER_SECONDS } from '../booking/admission.js';
import type { Deps } from '../deps.js';
import { isDefinitionFormat, toolDefinitions, FORMATS } from '../tools/definitions.js';
import { type OutcomeKind, runTool } from '../tools/registry.js';

/**
 * 200 whenever the tool ran (read `ok`); 422 for an Idempotency-Key reused with other arguments;
 * 503 with Retry-After when the call could not start in time (nothing was done: retry).
 */
const STATUS: Record<OutcomeKind, number> = { ok: 200, failed: 200, invalid: 400, unknown_tool: 404, conflict: 422, rate_limited: 429, busy: 503 };

export function toolsRouter(deps: Deps): Router {
  const router = Router();
  router.get('/definitions', (req, res) => {
    const format = typeof req.query.format === 'string' ? req.query.format : 'openai';
    if (!isDefinitionFormat(format)) {
      res.status(400).json({ error: `Unknown format "${format.slice(0, 40)}". Formats: ${Object.keys(FORMATS).join(', ')}.` });
      return;
    }
    const includeAliases = req.query.aliases === 'true' || req.query.aliases === '1';
    res.json(toolDefinitions(format, { publicBaseUrl: deps.settings.PUBLIC_BASE_URL, includeAliases }));
  });

  router.post('/:name', async (req, res) => {
    const key = req.get('idempotency-key');
    const { result, kind } = await runTool(deps, req.params.name, req.body ?? {}, {
      platform: 'http',
      callId: req.get('x-call-id')?.slice(0, 128),
      idempotencyKey: key ? `http:${key.slice(0, 200)}` : undefined,
      clientIp: req.ip,
    });
    const status = STATUS[kind];
    if (kind === 'busy') res.set('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
    res.status(status).json(result);
  });
  return router;
}
