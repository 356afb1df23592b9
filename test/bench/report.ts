import { readFile, writeFile } from 'node:fs/promises';
import type { Measurement } from './drive.ts';
import type { Machine } from './machine.ts';

export interface Row {
  label: string;
  /** API tokens in the table when the run started. */
  tokens: number;
  connections: number;
  /** Warm-up and measured seconds. */
  warmup: number;
  duration: number;
  measurement: Measurement;
}

export interface Report {
  machine: Machine;
  /** One line each: how the runs were set up. */
  settings: string[];
  rows: Row[];
  /** The refresh grant through the service and through the floor, same settings. */
  refresh?: { service: Row; floor: Row } | undefined;
  /** The service's refresh grant with a small and a large table. */
  scale?: { small: Row; large: Row } | undefined;
}

/** Latency may rise this much from the small to the large table and still count as flat. */
const SCALE_TOLERANCE = 1.2;
const P99_GOAL_MS = 25;

/** The whole report as Markdown: the table first, then what it means. */
export function renderReport(report: Report): string {
  const failed = report.rows.reduce((sum, row) => sum + row.measurement.errors, 0);
  const lines = ['# Token service benchmark', ''];
  if (failed > 0) {
    lines.push(`**${failed} requests failed in the measured windows (see Errors): these numbers do not describe a healthy run.**`, '');
  }

  const { machine } = report;
  lines.push(
    `- Date: ${machine.date}`,
    `- Machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB; benchmark, targets and PostgreSQL share them; load average ${machine.loadAtStart.toFixed(2)} at the start`,
    `- Node.js ${machine.node}; ${machine.postgres}`,
    ...report.settings.map((line) => `- ${line}`),
    '',
    '| Run | Tokens in table | Connections | Warm-up + measured (s) | Requests/s | p50 (ms) | p99 (ms) | CPU ms/answer | PostgreSQL CPU ms/answer | Errors |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...report.rows.map((row) => `| ${row.label} | ${count(row.tokens)} | ${row.connections} | ${row.warmup} + ${row.duration} | ${count(Math.round(row.measurement.rps))} | ${ms(row.measurement.p50)} | ${ms(row.measurement.p99)} | ${cpu(row.measurement.cpuPerAnswer)} | ${cpu(row.measurement.databaseCpuPerAnswer)} | ${row.measurement.errors} |`),
    '',
    'Requests/s counts successful answers; p50 and p99 are over every answer; CPU ms/answer is the CPU time (user and system) the target process used in the measured window over its answers, and PostgreSQL CPU ms/answer the same for every PostgreSQL process on the machine (the load generator is in neither); errors are the non-2xx answers, 2xx answers without the expected body, and requests that got no answer (connection errors, timeouts) in the measured window.',
    '',
  );

  lines.push('## Goals', '');
  const { refresh, scale } = report;
  if (refresh) {
    const ratio = refresh.service.measurement.rps / refresh.floor.measurement.rps;
    const p99 = refresh.service.measurement.p99;
    const cpuRatio = refresh.floor.measurement.cpuPerAnswer / refresh.service.measurement.cpuPerAnswer;
    lines.push(
      `- Refresh grant, service/floor throughput: **${ratio.toFixed(3)}** (goal at least 0.5: ${verdict(ratio >= 0.5)}); p99 service/floor: ${(p99 / refresh.floor.measurement.p99).toFixed(2)}`,
      `  - CPU per answer, floor/service: ${Number.isFinite(cpuRatio) ? cpuRatio.toFixed(3) : '-'}: the share of the service's own CPU time per refresh that the floor's steps account for; it depends less on the machine's other load than requests/s do`,
      `- Refresh grant p99 through the service at ${refresh.service.connections} connections: **${ms(p99)} ms** (goal under ${P99_GOAL_MS} ms: ${verdict(p99 < P99_GOAL_MS)})`,
      // Little's law: each connection waits for its answer before sending again.
      `  - Closed loop: mean latency = connections / throughput, so a p99 under ${P99_GOAL_MS} ms at ${refresh.service.connections} connections needs more than ${count((refresh.service.connections * 1000) / P99_GOAL_MS)} req/s.`,
    );
  }
  if (scale) {
    const small = scale.small.measurement;
    const large = scale.large.measurement;
    const p50 = large.p50 / small.p50;
    const p99 = large.p99 / small.p99;
    lines.push(`- Refresh latency, ${count(scale.large.tokens)} vs ${count(scale.small.tokens)} tokens: p50 x${p50.toFixed(2)}, p99 x${p99.toFixed(2)}, requests/s x${(large.rps / small.rps).toFixed(2)} (goal: no growth, taken as at most x${SCALE_TOLERANCE}: ${verdict(p50 <= SCALE_TOLERANCE && p99 <= SCALE_TOLERANCE)})`);
  }
  if (!refresh && !scale) lines.push('- Not measured.');
  lines.push('');

  const withErrors = report.rows.filter((row) => row.measurement.errors > 0);
  if (withErrors.length > 0) {
    lines.push('## Errors', '');
    for (const row of withErrors) {
      const m = row.measurement;
      const statuses = Object.entries(m.statuses).map(([code, n]) => `${code}: ${n}`).join(', ');
      lines.push(`- ${row.label}: ${m.non2xx} non-2xx, ${m.badBodies} bad 2xx bodies, ${m.transportErrors} without answer (statuses ${statuses})`);
      for (const sample of m.samples) lines.push(`  - \`${sample.replaceAll('`', "'")}\``);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The hand-written part of results.md: from this heading on, a new run keeps it as it is. */
const FINDINGS = '\n## Findings';

export async function writeReport(path: string, report: Report): Promise<void> {
  const previous = await readFile(path, 'utf8').catch(() => '');
  const at = previous.indexOf(FINDINGS);
  await writeFile(path, renderReport(report) + (at === -1 ? '' : previous.slice(at)));
}

function verdict(met: boolean): string {
  return met ? 'met' : '**not met**';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function cpu(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : '-';
}

function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : '-';
}
