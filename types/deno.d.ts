// The few Deno APIs src/entry/deno.ts uses, so that tsc can type-check it (tsconfig.deno.json).
// `deno check` cannot be used: the MCP SDK's export map breaks it, and Deno's own full types
// (`deno types`) need Deno's libs, which tsc does not load.
declare namespace Deno {
  export interface Env {
    get(key: string): string | undefined;
    toObject(): Record<string, string>;
  }
  export const env: Env;
  export type Signal = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGQUIT';
  export function addSignalListener(signal: Signal, handler: () => void): void;
  export function exit(code?: number): never;
  export function resolveDns(query: string, recordType: 'A' | 'AAAA'): Promise<string[]>;
  export interface NetAddr {
    transport: 'tcp' | 'udp';
    hostname: string;
    port: number;
  }
  export interface UnixAddr {
    transport: 'unix' | 'unixpacket';
    path: string;
  }
  export type Addr = NetAddr | UnixAddr;
  export interface ServeHandlerInfo {
    remoteAddr: Addr;
    completed: Promise<void>;
  }
  export interface ServeDefaultExport {
    fetch(request: Request, info: ServeHandlerInfo): Response | Promise<Response>;
    onListen?(localAddr: Addr): void;
  }
}
