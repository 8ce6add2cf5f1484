import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { JsonRpcCode, jsonRpcError } from './json-rpc.ts';

/** Revisions served per request, without `initialize` (MCP 2026-07-28 "modern" era). */
export const MODERN_PROTOCOL_VERSIONS: readonly string[] = ['2026-07-28'];
/** Every revision this endpoint serves, newest first: the modern ones, then those the legacy SDK negotiates. */
export const SERVED_PROTOCOL_VERSIONS: readonly string[] = [...MODERN_PROTOCOL_VERSIONS, ...SUPPORTED_PROTOCOL_VERSIONS];

/** The reserved `_meta` keys every modern request carries. */
export const MetaKey = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
} as const;

/** A client's declared capabilities, as far as this server reads them. */
export interface ClientCapabilities {
  elicitation?: object;
  sampling?: object;
  roots?: object;
  [other: string]: unknown;
}

/** A modern request that passed the transport's checks: its version, capabilities and parameters. */
export interface ModernRequest {
  id: string | number;
  method: string;
  params: Record<string, unknown>;
  version: string;
  capabilities: ClientCapabilities;
}

/** Methods whose target the client mirrors into `Mcp-Name`, and the params field it comes from. */
const NAMED_METHODS: Record<string, 'name' | 'uri'> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

/**
 * Picks the era that serves a message (2026-07-28, basic/versioning "dual-era server"): a request
 * whose `_meta` names a protocol version other than a legacy one, or whose MCP-Protocol-Version
 * header names a modern one, is modern; everything else, `initialize` first, keeps legacy behaviour.
 */
export function isModern(message: object, headerVersion: string | undefined): boolean {
  const metaVersion = metaOf(message)?.[MetaKey.protocolVersion];
  if (metaVersion !== undefined) return !(typeof metaVersion === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(metaVersion));
  return headerVersion !== undefined && MODERN_PROTOCOL_VERSIONS.includes(headerVersion);
}

/** The 400 a request naming a protocol version this server does not serve gets, listing those it does. */
export function unsupportedVersion(requested: unknown, id: string | number | null = null): Response {
  const data = { supported: SERVED_PROTOCOL_VERSIONS, requested };
  return jsonRpcError(400, JsonRpcCode.UnsupportedProtocolVersion, 'Unsupported protocol version', id, undefined, data);
}

/**
 * Checks a modern request as the 2026-07-28 transport asks (basic/index "_meta", streamable-http
 * "Server Validation"): `_meta` carries a protocol version and client capabilities (else -32602),
 * MCP-Protocol-Version, Mcp-Method and Mcp-Name repeat the body (else -32020), and the
 * version is served here (else -32022). Each refusal is a 400 with the request's id.
 */
export function checkModernRequest(message: object, header: (name: string) => string | undefined): { ok: true; request: ModernRequest } | { ok: false; refusal: Response } {
  const refused = (refusal: Response) => ({ ok: false as const, refusal });
  const m = message as { id?: unknown; method?: unknown; params?: unknown };
  const id = typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null;
  if (id === null || typeof m.method !== 'string') {
    return refused(jsonRpcError(400, JsonRpcCode.InvalidRequest, 'Invalid Request: a 2026-07-28 message must be a JSON-RPC request with an id and a method.', id));
  }
  const meta = metaOf(message);
  const version = meta?.[MetaKey.protocolVersion];
  const capabilities = meta?.[MetaKey.clientCapabilities];
  if (typeof version !== 'string' || !isObject(capabilities)) {
    const missing = typeof version !== 'string' ? MetaKey.protocolVersion : MetaKey.clientCapabilities;
    return refused(jsonRpcError(400, JsonRpcCode.InvalidParams, `Invalid params: _meta must carry ${missing}.`, id));
  }
  const mismatch = headerMismatch(m.method, m.params as Record<string, unknown>, version, header);
  if (mismatch) return refused(jsonRpcError(400, JsonRpcCode.HeaderMismatch, `Header mismatch: ${mismatch}`, id));
  if (!MODERN_PROTOCOL_VERSIONS.includes(version)) return refused(unsupportedVersion(version, id));
  return { ok: true, request: { id, method: m.method, params: m.params as Record<string, unknown>, version, capabilities: capabilities as ClientCapabilities } };
}

function headerMismatch(method: string, params: Record<string, unknown>, version: string, header: (name: string) => string | undefined): string | undefined {
  const headerVersion = header('MCP-Protocol-Version');
  if (headerVersion !== version) return headerVersion === undefined ? 'the MCP-Protocol-Version header is missing.' : `MCP-Protocol-Version '${headerVersion}' does not match _meta '${version}'.`;
  const headerMethod = header('Mcp-Method');
  if (headerMethod !== method) return headerMethod === undefined ? 'the Mcp-Method header is missing.' : `Mcp-Method '${headerMethod}' does not match the body's method '${method}'.`;
  const field = NAMED_METHODS[method];
  if (!field) return undefined;
  const encoded = header('Mcp-Name');
  if (encoded === undefined) return 'the Mcp-Name header is missing.';
  const name = decodeHeaderValue(encoded);
  if (name === undefined) return 'the Mcp-Name header is not a valid value.';
  if (name !== params[field]) return `Mcp-Name does not match the body's params.${field}.`;
  return undefined;
}

/** Decodes an Mcp-Name value, which may use the `=?base64?...?=` sentinel for non-ASCII text; undefined if it is malformed. */
function decodeHeaderValue(value: string): string | undefined {
  const sentinel = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/.exec(value);
  if (!sentinel) return value.startsWith('=?base64?') ? undefined : value;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(sentinel[1]!), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

function metaOf(message: object): Record<string, unknown> | undefined {
  const params = (message as { params?: unknown }).params;
  const meta = isObject(params) ? params._meta : undefined;
  return isObject(meta) ? meta : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
