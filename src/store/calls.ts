/** The tool-call log: one row per tool call from any entry point, for operators and debugging. */
import type { Db } from './db.js';

export interface ToolCallLogEntry {
  at: number;
  platform: string;
  callId: string | null;
  toolCallId: string | null;
  caller: string | null;
  tool: string;
  args: unknown;
  ok: boolean;
  code: string | null;
  result: unknown;
  latencyMs: number;
  replayed: boolean;
}

export interface ToolCallRow {
  id: number;
  at: string;
  platform: string;
  call_id: string | null;
  tool_call_id: string | null;
  caller: string | null;
  tool: string;
  args: unknown;
  ok: boolean;
  code: string | null;
  result: unknown;
  latency_ms: number;
  replayed: boolean;
}

export class CallLog {
  private readonly insert;
  private readonly page;
  private readonly purge;

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO tool_calls (at_ms, platform, call_id, tool_call_id, caller, tool, args_json, ok, code, result_json, latency_ms, replayed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.page = db.prepare<[number, number], Record<string, unknown>>(`SELECT * FROM tool_calls WHERE id < ? ORDER BY id DESC LIMIT ?`);
    this.purge = db.prepare(`DELETE FROM tool_calls WHERE at_ms < ?`);
  }

  record(e: ToolCallLogEntry): void {
    this.insert.run(
      e.at,
      e.platform,
      e.callId,
      e.toolCallId,
      e.caller,
      e.tool,
      JSON.stringify(e.args ?? null),
      e.ok ? 1 : 0,
      e.code,
      JSON.stringify(e.result ?? null),
      Math.round(e.latencyMs * 100) / 100,
      e.replayed ? 1 : 0,
    );
  }

  /** Newest first. Pass the smallest id of the previous page as `beforeId` for the next one. */
  list(limit: number, beforeId = Number.MAX_SAFE_INTEGER): ToolCallRow[] {
    return this.page.all(beforeId, limit).map((r) => ({
      id: r.id as number,
      at: new Date(r.at_ms as number).toISOString(),
      platform: r.platform as string,
      call_id: r.call_id as string | null,
      tool_call_id: r.tool_call_id as string | null,
      caller: r.caller as string | null,
      tool: r.tool as string,
      args: JSON.parse(r.args_json as string),
      ok: r.ok === 1,
      code: r.code as string | null,
      result: JSON.parse(r.result_json as string),
      latency_ms: r.latency_ms as number,
      replayed: r.replayed === 1,
    }));
  }

  purgeOlderThan(cutoff: number): number {
    return this.purge.run(cutoff).changes;
  }
}
