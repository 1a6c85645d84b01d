/**
 * MCP server over Streamable HTTP, stateless: every POST gets a fresh McpServer and transport, so
 * any instance can answer any request and nothing is kept between them (MCP TS SDK
 * simpleStatelessStreamableHttp example). Answers are plain JSON rather than an SSE stream: there is
 * nothing to stream, and curl users can read it.
 *
 * Tools are registered with their zod schemas, so tools/list is the SDK's own rendering of them.
 * tools/call is routed to runTool with the arguments as sent, not after the SDK has validated them:
 * runTool's validation answers a bad argument with a sentence the assistant can act on ("I need the
 * caller's name...") and records the call in the log, where the SDK would answer with raw zod issues
 * and record nothing.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type Request, type Response, Router } from 'express';
import type { Deps } from '../deps.js';
import { runTool, TOOLS } from '../tools/registry.js';
import { bodyErrors, jsonBody, problemText, str } from './common.js';
import { requireBearer } from './signatures.js';

export const MCP_SERVER_NAME = 'bookline';
export const MCP_SERVER_VERSION = '0.1.0';

function rpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

interface CallContext {
  callId: string | undefined;
  callerPhone: string | undefined;
}

/**
 * The SDK (with its own zod and JSON-schema stack) is loaded by the first /mcp request, not at
 * start-up: a server that no MCP client talks to should not carry it.
 */
let sdk: Promise<Sdk> | undefined;
type Sdk = {
  McpServer: typeof import('@modelcontextprotocol/sdk/server/mcp.js').McpServer;
  StreamableHTTPServerTransport: typeof import('@modelcontextprotocol/sdk/server/streamableHttp.js').StreamableHTTPServerTransport;
  CallToolRequestSchema: typeof import('@modelcontextprotocol/sdk/types.js').CallToolRequestSchema;
};
function loadSdk(): Promise<Sdk> {
  sdk ??= Promise.all([
    import('@modelcontextprotocol/sdk/server/mcp.js'),
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]).then(([m, t, types]) => ({ McpServer: m.McpServer, StreamableHTTPServerTransport: t.StreamableHTTPServerTransport, CallToolRequestSchema: types.CallToolRequestSchema }));
  return sdk;
}

function buildServer({ McpServer, CallToolRequestSchema }: Sdk, deps: Deps, ctx: CallContext): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version: MCP_SERVER_VERSION });
  const call = async (name: string, args: unknown): Promise<CallToolResult> => {
    const { result } = await runTool(deps, name, args ?? {}, { platform: 'mcp', callId: ctx.callId, callerPhone: ctx.callerPhone });
    return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result, isError: !result.ok };
  };
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      {
        description: tool.description,
        inputSchema: tool.schema,
        annotations: { readOnlyHint: !tool.mutating, destructiveHint: tool.name === 'cancel_appointment', openWorldHint: false },
      },
      (args: unknown) => call(tool.name, args),
    );
  }
  server.server.setRequestHandler(CallToolRequestSchema, (request) => call(request.params.name, request.params.arguments));
  return server;
}

export function mcpRouter(deps: Deps): Router {
  const router = Router();
  router.use(jsonBody('256kb'));
  router.use(
    requireBearer(
      () => deps.settings.TOOLS_API_KEY,
      (res) => rpcError(res, 401, -32001, 'Unauthorized: send Authorization: Bearer <TOOLS_API_KEY>.'),
    ),
  );

  router.post('/', async (req: Request, res: Response) => {
    let server: McpServer | undefined;
    let transport: InstanceType<Sdk['StreamableHTTPServerTransport']> | undefined;
    res.on('close', () => {
      void transport?.close();
      void server?.close();
    });
    try {
      const mcp = await loadSdk();
      server = buildServer(mcp, deps, {
        // Vapi's MCP tool sends X-Call-Id; a caller number can be passed as a templated header.
        callId: str(req.get('x-call-id')),
        callerPhone: str(req.get('x-caller-number'), 64),
      });
      transport = new mcp.StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (err) {
      deps.logger.error({ err }, 'MCP request failed');
      if (!res.headersSent) rpcError(res, 500, -32603, 'Internal server error');
    }
  });

  // Stateless: no server-initiated stream to open (GET) and no session to end (DELETE).
  router.get('/', (_req, res) => rpcError(res, 405, -32000, 'Method not allowed: this MCP server is stateless; POST JSON-RPC to /mcp.'));
  router.delete('/', (_req, res) => rpcError(res, 405, -32000, 'Method not allowed: this MCP server is stateless.'));
  router.use(bodyErrors((res, status, problem) => rpcError(res, status, status === 400 ? -32700 : -32600, `Parse error: ${problemText(deps, problem)}`)));
  return router;
}
