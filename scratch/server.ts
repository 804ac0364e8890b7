import { startServer } from '../servers/server.ts';
import { spawn } from 'node:child_process';
import v8 from 'node:v8';
const transport = process.argv[2] as 'ws' | 'sse' | 'long-poll';
const N = Number(process.argv[3] ?? 10000);
const gc = (globalThis as any).gc as () => void;
const server = await startServer({ transport, port: 0, feedRate: 0, heartbeatMs: 60_000 });
const snap = () => { const m = process.memoryUsage(); const sp = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_size / 1e5) / 10])); return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, ab: m.arrayBuffers, sp }; };
await new Promise((r) => setTimeout(r, 500));
const base = snap();
const child = spawn(process.execPath, ['client.cjs', String(server.port), transport, String(N)], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve) => child.stdout.on('data', (d) => { if (String(d).includes('opened')) resolve(); }));
const idle = snap();
gc(); gc();
await new Promise((r) => setTimeout(r, 200));
const after = snap();
const per = (a: number, b: number) => ((a - b) / N / 1024).toFixed(2);
console.log(transport, 'open', server.stats().connections.open);
for (const [name, s] of [['idle', idle], ['after gc', after]] as const) {
  console.log(`${name}: rss/conn ${per(s.rss, base.rss)} heapTotal/conn ${per(s.heapTotal, base.heapTotal)} heapUsed/conn ${per(s.heapUsed, base.heapUsed)} external/conn ${per(s.external, base.external)} nonheap/conn ${per(s.rss - s.heapTotal, base.rss - base.heapTotal)}`);
  console.log('  spaces MB', JSON.stringify(s.sp), 'base', JSON.stringify(base.sp));
}
if (process.argv[4]) { v8.writeHeapSnapshot(process.argv[4]); console.log('snapshot written'); }
child.kill(); await server.close(); process.exit(0);
