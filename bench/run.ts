// npm run bench -- [--duration 8] [--warmup 3] [--connections 32] [--cases call,connect] [--repeat 1]
//                   [--only tenant-mcp,sdk-example] [--all] [--many-keys 100000] [--baseline DIR] [--out DIR] [--timeout 10]
//                   [--server-cpus 0] [--loadgen-cpus 1] [--no-pin]
// Prints a markdown report (also written to OUT/latest.md, raw numbers to OUT/latest.json) and
// exits 1 when a server failed, an answer was wrong, or a check failed. Goals are reported, not enforced.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { targets } from './bench.config.ts';
import { type BenchReport, type CaseName, type CaseResult, renderMarkdown, runBench } from './harness.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    cases: { type: 'string', default: 'call,connect' },
    only: { type: 'string' },
    all: { type: 'boolean', default: false },
    'many-keys': { type: 'string', default: '100000' },
    baseline: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'server-cpus': { type: 'string', default: '0' },
    'loadgen-cpus': { type: 'string', default: '1' },
    out: { type: 'string', default: fileURLToPath(new URL('./results', import.meta.url)) },
    timeout: { type: 'string', default: '10' },
    repeat: { type: 'string', default: '1' },
  },
});

const started = Date.now();
const log = (m: string) => console.error(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s ${m}`);
const report = await runBench(
  targets({ manyKeys: Number(values['many-keys']), baseline: values.baseline }),
  {
    connections: Number(values.connections),
    warmupSeconds: Number(values.warmup),
    durationSeconds: Number(values.duration),
    protocolVersion: '2025-11-25',
    cases: values.cases!.split(',') as CaseName[],
    pin: values['no-pin'] ? false : { server: values['server-cpus']!, loadgen: values['loadgen-cpus']! },
    outDir: values.out!,
    only: values.only?.split(','),
    all: values.all,
    timeoutSeconds: Number(values.timeout),
    repeat: Number(values.repeat),
  },
  log,
);

const markdown = `${renderMarkdown(report)}\n\n${goals(report)}\n\nTotal wall time: ${report.wallSeconds.toFixed(0)} s.\n`;
writeFileSync(join(values.out!, 'latest.md'), markdown);
console.log(markdown);
const failed = report.targets.some((t) => t.error || t.checks.some((c) => !c.ok) || t.cases.some((c) => c.errorTotal > 0));
process.exitCode = failed ? 1 : 0;

/** The issue's goals for tenant-mcp, judged on this run. */
function goals(r: BenchReport): string {
  const caseOf = (name: string, c: CaseName): CaseResult | undefined => r.targets.find((t) => t.name === name)?.cases.find((x) => x.case === c);
  const lines = ['Goals for tenant-mcp (tools/call add unless said otherwise):', ''];
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'met' : 'NOT met');
  const ours = caseOf('tenant-mcp', 'call');
  const sdk = caseOf('sdk-example', 'call');
  const f = (n: number, d = 2) => n.toFixed(d);
  if (ours?.ratioToFloor !== undefined && ours.cpuRatioToFloor !== undefined) {
    lines.push(`- at least 0.15× raw Hono: ${f(ours.ratioToFloor, 3)}× by req/s, ${f(ours.cpuRatioToFloor, 3)}× by CPU per request — ${verdict(ours.ratioToFloor >= 0.15)} (req/s), ${verdict(ours.cpuRatioToFloor >= 0.15)} (CPU)`);
  }
  if (ours && sdk) {
    const byRps = ours.rps / sdk.rps;
    const byCpu = sdk.serverCpuUsPerReq / ours.serverCpuUsPerReq;
    lines.push(`- at least 4× the SDK example: ${f(byRps, 1)}× by req/s, ${f(byCpu, 1)}× by CPU per request — ${verdict(byRps >= 4)} (req/s), ${verdict(byCpu >= 4)} (CPU)`);
    for (const c of ['call', 'connect'] as const) {
      const a = caseOf('tenant-mcp', c);
      const b = caseOf('sdk-example', c);
      if (a && b) lines.push(`- p99 no worse than the SDK example's (${c}): ${a.latencyMs.p99} ms vs ${b.latencyMs.p99} ms — ${verdict(a.latencyMs.p99 <= b.latencyMs.p99)}`);
    }
  }
  const checks = r.targets.filter((t) => t.name.startsWith('tenant-mcp')).flatMap((t) => t.checks.map((c) => ({ ...c, target: t.name })));
  if (checks.length) {
    lines.push(`- zero lost usage events: ${checks.every((c) => c.ok) ? 'met' : 'NOT met'} (${checks.map((c) => `${c.target}: ${c.name} ${c.ok ? 'PASS' : 'FAIL'}`).join('; ')})`);
  }
  const oauth = caseOf('tenant-mcp-oauth', 'call');
  if (ours && oauth) {
    const ratio = oauth.serverCpuUsPerReq / ours.serverCpuUsPerReq;
    lines.push(
      `- a tools/call with an OAuth access token costs no more server CPU than with an API key: ${f(oauth.serverCpuUsPerReq, 1)} vs ${f(ours.serverCpuUsPerReq, 1)} µs per call, ` +
        `ratio ${f(ratio, 3)} — ${verdict(ratio <= 1.1)} (≤ 1.10, the run-to-run noise here)`,
    );
  }
  const many = caseOf('tenant-mcp-100k', 'call');
  if (ours && many) {
    const cpu = many.serverCpuUsPerReq / ours.serverCpuUsPerReq - 1;
    const rps = many.rps / ours.rps - 1;
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
    lines.push(
      `- ${Number(values['many-keys']).toLocaleString('en')} more keys do not slow the warm path: CPU per request ${pct(cpu)}, req/s ${pct(rps)} ` +
        `(${f(many.serverCpuUsPerReq, 1)} vs ${f(ours.serverCpuUsPerReq, 1)} µs) — ${verdict(Math.abs(cpu) <= 0.1)} (|CPU change| ≤ 10%, the run-to-run noise here)`,
    );
  }
  lines.push('', 'Memory with many distinct keys is measured by `npm run bench:keys`.');
  return lines.join('\n');
}
