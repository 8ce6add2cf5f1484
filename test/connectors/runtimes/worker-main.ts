// A throwaway Worker for test/connectors/openapi-runtimes.test.ts: GET /?upstream=<url> answers the RuntimeReport.
import { checkOpenApiConnector } from './openapi-check.ts';

export default {
  async fetch(request: Request): Promise<Response> {
    const upstream = new URL(request.url).searchParams.get('upstream') ?? '';
    return Response.json(await checkOpenApiConnector(upstream, (url, init) => fetch(url, init)));
  },
};
