/** The scopes a connector tool needs unless the connector names others: `<connector>:read` for read-only tools, else `<connector>:write`. */
export function defaultToolScopes(connector: string, readOnly: boolean): string[] {
  return [`${connector}:${readOnly ? 'read' : 'write'}`];
}
