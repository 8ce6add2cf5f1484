import type { Context } from 'hono';
import { type Config, publicUrl } from '../config.ts';

/** The URL clients should use for this server: PUBLIC_URL when set, else the origin the page was reached at. */
export function publicBase(c: Context, config: Config): string {
  return config.PUBLIC_URL ? publicUrl(config) : new URL(c.req.url).origin;
}
