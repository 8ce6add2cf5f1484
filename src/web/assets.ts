/**
 * The pages' stylesheet and their one small script, served by the app itself (no CDN, no build
 * step, so Node, Deno and Workers serve the same bytes). The script only adds copy buttons: every
 * page works without it.
 */
export const assets = {
  'app.css': {
    type: 'text/css; charset=utf-8',
    body: `
:root { --fg: #1a1d21; --muted: #4a5360; --bg: #ffffff; --panel: #f5f6f8; --line: #d4d8de; --accent: #1f4fbf; --danger: #a1161b;
  --ok: #2e7d32; --error: #c62828; --denied: #b45309; --rateLimited: #6a1b9a; --unauthenticated: #455a64; --p50: #1f4fbf; --p95: #b45309; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.5rem; background: #102a5c; color: #fff; flex-wrap: wrap; }
header a { color: #fff; } header strong { font-size: 1.05rem; }
header nav { display: flex; gap: 1rem; flex: 1; }
header form { margin: 0; }
main { padding: 1rem 1.5rem 3rem; max-width: 1200px; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; } h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, summary:focus { outline: 3px solid #f2b705; outline-offset: 2px; }
section.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1rem; }
form.inline { display: flex; gap: .5rem; align-items: flex-end; flex-wrap: wrap; margin: .5rem 0; }
label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: .15rem; }
input, select, textarea { font: inherit; padding: .3rem .45rem; border: 1px solid #8a939f; border-radius: 4px; color: var(--fg); background: #fff; }
button { font: inherit; padding: .35rem .8rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--danger); border-color: var(--danger); }
table { border-collapse: collapse; width: 100%; font-size: .9rem; background: #fff; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
pre { background: #fff; border: 1px solid var(--line); padding: .5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.notice { border-left: 4px solid var(--accent); background: #eef3fd; padding: .5rem .75rem; }
.error { border-left: 4px solid var(--danger); background: #fdeeee; padding: .5rem .75rem; }
.secret { border: 2px solid var(--denied); background: #fff8e6; padding: .75rem 1rem; border-radius: 6px; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; border: 1px solid currentColor; }
.badge.active { color: var(--ok); } .badge.suspended, .badge.revoked { color: var(--error); }
.legend { display: flex; gap: 1rem; flex-wrap: wrap; font-size: .85rem; margin: .25rem 0; padding: 0; list-style: none; }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; border-radius: 2px; }
.sw-ok { background: var(--ok); } .sw-error { background: var(--error); } .sw-denied { background: var(--denied); }
.sw-rateLimited { background: var(--rateLimited); } .sw-unauthenticated { background: var(--unauthenticated); }
.sw-p50 { background: var(--p50); } .sw-p95 { background: var(--p95); }
svg.chart { width: 100%; height: auto; display: block; background: #fff; border: 1px solid var(--line); border-radius: 4px; }
svg.chart text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg.chart .grid-line { stroke: #e3e6ea; }
svg.chart .ok { fill: var(--ok); } svg.chart .error { fill: var(--error); } svg.chart .denied { fill: var(--denied); }
svg.chart .rateLimited { fill: var(--rateLimited); } svg.chart .unauthenticated { fill: var(--unauthenticated); }
svg.chart .line-p50 { stroke: var(--p50); fill: none; stroke-width: 2; } svg.chart .line-p95 { stroke: var(--p95); fill: none; stroke-width: 2; stroke-dasharray: 5 3; }
svg.chart .dot-p50 { fill: var(--p50); } svg.chart .dot-p95 { fill: var(--p95); }
svg.chart .bar { fill: var(--accent); }
.copy { margin-left: .5rem; font-size: .8rem; padding: .1rem .5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`,
  },
  'app.js': {
    type: 'text/javascript; charset=utf-8',
    body: `// Copy buttons, added only when the Clipboard API is there; the text is selectable without them.
for (const pre of document.querySelectorAll('pre[data-copy]')) {
  if (!navigator.clipboard) break;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'copy secondary';
  button.textContent = 'Copy';
  button.setAttribute('aria-label', 'Copy ' + pre.dataset.copy);
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText(pre.textContent);
    button.textContent = 'Copied';
    setTimeout(() => (button.textContent = 'Copy'), 2000);
  });
  pre.before(button);
}
`,
  },
  'icon.svg': {
    type: 'image/svg+xml',
    body: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#102a5c"/><path d="M4 11V5l4 3 4-3v6" stroke="#fff" stroke-width="1.6" fill="none"/></svg>',
  },
} as const;

/** An asset's name. */
export type AssetName = keyof typeof assets;
