/**
 * npx node test/bench/profile-top.ts <file.cpuprofile> [count]
 *
 * The functions with the most self time in a V8 CPU profile (node --cpu-prof, or
 * `npm run bench -- --cpu-prof DIR` for the service and the floor), and the same time by package or
 * source file. Percentages are of the time the process was busy (idle and GC listed apart).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, countArg = '30'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('Usage: npx node test/bench/profile-top.ts <file.cpuprofile> [count]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));

// Self time per node: each sample's delta belongs to the node on top of the stack.
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const functions = new Map<string, number>();
const places = new Map<string, number>();
let busy = 0;
const special = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  if (frame.functionName.startsWith('(') && !frame.url) {
    // (idle), (program), (garbage collector), (root)
    special.set(frame.functionName, (special.get(frame.functionName) ?? 0) + micros);
    if (frame.functionName === '(idle)') continue;
  }
  busy += micros;
  const where = place(frame.url);
  const name = `${frame.functionName || '(anonymous)'}  ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
  functions.set(name, (functions.get(name) ?? 0) + micros);
  places.set(where, (places.get(where) ?? 0) + micros);
}

const count = Number(countArg);
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);
process.stdout.write(`busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s profiled; `);
process.stdout.write([...special].map(([name, micros]) => `${name} ${(micros / 1e6).toFixed(1)} s`).join(', ') + '\n\n');
print('Self time by function', functions, count);
print('Self time by package or file', places, count);

/** node_modules/<package> for dependencies, the path for project files, node: for built-ins. */
function place(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (module?.[1]) return `node_modules/${module[1]}`;
  return relative(process.cwd(), path);
}

function print(title: string, totals: Map<string, number>, limit: number): void {
  process.stdout.write(`${title}\n`);
  for (const [name, micros] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    process.stdout.write(`${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}\n`);
  }
  process.stdout.write('\n');
}
