/** Mounts every platform adapter except Vapi (mounted in app.ts). Each router parses its own body. */
import type { Express, RequestHandler } from 'express';
import type { Deps } from '../deps.js';
import { elevenlabsRouter } from './elevenlabs.js';
import { mcpRouter } from './mcp.js';
import { openaiChatRouter } from './openai-chat.js';
import { retellRouter } from './retell.js';
import { requireBearer } from './signatures.js';
import { telnyxRouter } from './telnyx.js';

export function mountPlatforms(app: Express, deps: Deps): void {
  app.use('/webhooks/telnyx', telnyxRouter(deps));
  app.use('/webhooks/retell', retellRouter(deps));
  app.use('/webhooks/elevenlabs', elevenlabsRouter(deps));
  app.use('/mcp', mcpRouter(deps));
  app.use('/v1', openaiChatRouter(deps));
}

/**
 * TOOLS_API_KEY for the plain JSON tool calls under /tools. GET (the published definitions) stays
 * open: it holds no secrets, and platform set-up scripts fetch it.
 */
export function toolsApiAuth(deps: Deps): RequestHandler {
  const guard = requireBearer(
    () => deps.settings.TOOLS_API_KEY,
    (res) => res.status(401).json({ ok: false, code: 'UNAUTHORIZED', message: 'Send Authorization: Bearer <TOOLS_API_KEY>.' }),
  );
  return (req, res, next) => (req.method === 'GET' ? next() : guard(req, res, next));
}
