import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { benchStartup } from './startup.bench.js';

/**
 * `npm run bench`: measures, then writes bench-results/latest.json and a
 * Markdown summary. Figures are only ever checked here, never by timed
 * assertions in tests. Set DATABASE_URL to include PostgreSQL.
 */
const startup = await benchStartup(process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL);
const report = {
  measuredAt: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 1024 ** 3), node: process.version },
  startup,
};
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/latest.json', `${JSON.stringify(report, null, 2)}\n`);
const lines = [
  `# Benchmarks (${report.measuredAt}, ${report.machine.cpus} CPUs, Node ${report.machine.node})`,
  '',
  '## Startup and idle memory',
  '',
  '| database | first boot → ready (ms) | restart → ready (ms) | idle RSS (MiB) |',
  '|---|---|---|---|',
  ...startup.map((row) => `| ${row.database} | ${row.firstBootToReadyMs} | ${row.restartToReadyMs} | ${row.idleRssMiB} |`),
  '',
];
writeFileSync('bench-results/latest.md', lines.join('\n'));
console.log(lines.join('\n'));
