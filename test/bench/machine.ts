import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface Machine {
  date: string;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  postgres: string;
  /** One-minute load average when the benchmark started: other work on the machine. */
  loadAtStart: number;
}

/** What the numbers were measured on; `postgres` is `SELECT version()`. */
export function describeMachine(postgres: string, loadAtStart: number): Machine {
  return {
    date: new Date().toISOString(),
    cores: cpus().length,
    cpuModel: cpuModel(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres,
    loadAtStart,
  };
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // Not Linux: fall through to what Node.js reports.
  }
  return cpus()[0]?.model ?? 'unknown';
}
