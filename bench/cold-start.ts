/**
 * Import time of the package in fresh processes against importing its two dependencies alone.
 * Run alone: node --import tsx bench/cold-start.ts [--quick]
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { fmt, median, type BenchRow } from './lib.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

/** Each script times its own imports, so node's start-up (the same for both) does not water the ratio down. */
const SCRIPTS = {
  package: "const t = performance.now(); await import('roboflow-clip'); process.stdout.write(String(performance.now() - t));",
  dependencies: "const t = performance.now(); await import('undici'); await import('zod'); process.stdout.write(String(performance.now() - t));",
};

async function importTime(script: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
  return Number(stdout);
}

export async function runColdStartBench(options: { processes?: number } = {}): Promise<BenchRow[]> {
  const { processes = 15 } = options;
  const times = { package: [] as number[], dependencies: [] as number[] };
  // Alternating, so that load from elsewhere on the machine falls on both alike.
  for (let i = 0; i < processes; i++) {
    times.package.push(await importTime(SCRIPTS.package));
    times.dependencies.push(await importTime(SCRIPTS.dependencies));
  }
  const ratio = median(times.package) / median(times.dependencies);
  return [
    {
      figure: "cold start: import('roboflow-clip') in a fresh process vs importing undici + zod alone",
      value: ratio,
      target: '<= 1.10',
      pass: ratio <= 1.1,
      detail: `medians of ${processes} processes each: ${fmt(median(times.package), 1)} ms vs ${fmt(median(times.dependencies), 1)} ms`,
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await runColdStartBench(process.argv.includes('--quick') ? { processes: 7 } : {});
  for (const row of rows) console.log(`${row.pass ? 'PASS' : 'FAIL'}  ${row.figure}: ${fmt(row.value)} (target ${row.target}) ${row.detail ?? ''}`);
}
