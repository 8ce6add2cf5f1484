#!/usr/bin/env node
// A stand-in for the user's browser, for clients that open the authorization URL with the system
// opener (BROWSER=<this file>): it signs in with the API key in TMCP_TEST_API_KEY, allows every
// offered scope, and follows the final redirect to the client's loopback callback.
const cookies = new Map();

async function go(url, init = {}) {
  const headers = new Headers(init.headers);
  if (cookies.size > 0) headers.set('Cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  for (const cookie of res.headers.getSetCookie()) {
    const [pair] = cookie.split(';');
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return res;
}

const post = (url, fields) =>
  go(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
const csrfOf = (page) => /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

const start = await go(process.argv[2]);
const pageUrl = new URL(start.headers.get('Location'), process.argv[2]);
let next = pageUrl;
if (pageUrl.pathname.startsWith('/oauth/requests/')) {
  const signIn = await (await go(pageUrl)).text();
  const signedIn = await post(new URL(`${pageUrl.pathname}/api-key`, pageUrl), [['csrf', csrfOf(signIn)], ['api_key', process.env.TMCP_TEST_API_KEY ?? '']]);
  const consent = await (await go(new URL(signedIn.headers.get('Location'), pageUrl))).text();
  const scopes = [...consent.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => ['scope', m[1]]);
  const done = await post(new URL(`${pageUrl.pathname}/consent`, pageUrl), [['csrf', csrfOf(consent)], ...scopes, ['decision', 'allow']]);
  next = new URL(done.headers.get('Location'));
}
await fetch(next); // the client's callback
