import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Caller } from '../auth/caller.ts';

/** Registers features beyond tools (resources, prompts) on each per-request server, for its caller. */
export type McpExtension = (server: McpServer, caller: Caller) => void;
