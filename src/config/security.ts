/**
 * Which entry points would accept unauthenticated requests with these settings. In production an
 * open entry point is a refusal to start (naming the variable to set), unless it is listed in
 * ALLOW_OPEN_ENTRY_POINTS; in development it is a warning.
 */
import { ConfigError } from './business.js';
import type { Env } from './env.js';

export interface EntryPoint {
  name: string;
  paths: string;
  variables: string[];
  secured: (env: Env) => boolean;
}

export const ENTRY_POINTS: readonly EntryPoint[] = [
  { name: 'vapi', paths: '/webhooks/vapi', variables: ['VAPI_SECRET', 'VAPI_HMAC_SECRET'], secured: (e) => Boolean(e.VAPI_SECRET || e.VAPI_HMAC_SECRET) },
  { name: 'telnyx', paths: '/webhooks/telnyx/*', variables: ['TELNYX_PUBLIC_KEY'], secured: (e) => Boolean(e.TELNYX_PUBLIC_KEY) },
  { name: 'retell', paths: '/webhooks/retell', variables: ['RETELL_API_KEY'], secured: (e) => Boolean(e.RETELL_API_KEY) },
  { name: 'elevenlabs', paths: '/webhooks/elevenlabs', variables: ['ELEVENLABS_TOOL_SECRET'], secured: (e) => Boolean(e.ELEVENLABS_TOOL_SECRET) },
  { name: 'tools', paths: '/tools/*, /mcp, /v1/chat/completions', variables: ['TOOLS_API_KEY'], secured: (e) => Boolean(e.TOOLS_API_KEY) },
];

export function openEntryPoints(env: Env): EntryPoint[] {
  return ENTRY_POINTS.filter((p) => !p.secured(env) && !env.ALLOW_OPEN_ENTRY_POINTS.has(p.name));
}

/** Throws in production when an entry point is open; returns the open ones otherwise (to warn about). */
export function checkEntryPoints(env: Env): EntryPoint[] {
  const unknown = [...env.ALLOW_OPEN_ENTRY_POINTS].filter((n) => !ENTRY_POINTS.some((p) => p.name === n));
  if (unknown.length) {
    throw new ConfigError(`ALLOW_OPEN_ENTRY_POINTS: unknown entry point(s) ${unknown.join(', ')}; known: ${ENTRY_POINTS.map((p) => p.name).join(', ')}`);
  }
  const open = openEntryPoints(env);
  if (env.NODE_ENV === 'production' && open.length > 0) {
    const lines = open.map((p) => `  - ${p.paths}: set ${p.variables.join(' or ')} (or add "${p.name}" to ALLOW_OPEN_ENTRY_POINTS to leave it open on purpose)`);
    throw new ConfigError(`Refusing to start in production with unauthenticated entry points:\n${lines.join('\n')}`);
  }
  return open;
}
