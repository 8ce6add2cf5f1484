// Starts the Petstore example on 127.0.0.1 (port from PORT, default 4010): `npm run example:petstore`.
import { serve } from '@hono/node-server';
import { createPetstoreApp } from './app.ts';

const port = Number(process.env.PORT ?? 4010);
serve({ fetch: createPetstoreApp().fetch, hostname: '127.0.0.1', port }, (info) => console.log(`Petstore example listening on http://127.0.0.1:${info.port} (document: /openapi.json)`));
