// deno run --allow-net=127.0.0.1 --allow-read test/connectors/runtimes/deno-main.ts: prints the RuntimeReport as JSON.
import { checkOpenApiConnector, petstoreFetch } from './openapi-check.ts';

declare const Deno: { serve(options: { hostname: string; port: number; onListen?: () => void }, handler: (request: Request) => Response | Promise<Response>): { addr: { port: number }; shutdown(): Promise<void> } };

const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, petstoreFetch);
const report = await checkOpenApiConnector(`http://127.0.0.1:${server.addr.port}`, fetch);
console.log(JSON.stringify(report));
await server.shutdown();
