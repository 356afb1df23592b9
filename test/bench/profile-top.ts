/**
 * npx node test/bench/profile-top.ts <file.cpuprofile> [count]
 *
 * The functions with the most self time in a V8 CPU profile (node --cpu-prof, or
 * `npm run bench -- --cpu-prof DIR` for the service and the floor), and the same time by package or
 * source file. Percentages are of the time the process was busy (idle and GC listed apart).
 */
import { describeFrame, isSpecial, place, readProfile } from './cpuprofile.ts';

const [file, countArg = '30'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('Usage: npx node test/bench/profile-top.ts <file.cpuprofile> [count]\n');
  process.exit(2);
}
const { byId, selfMicros } = readProfile(file);
// Piped into `head`: stop quietly once the reader has had enough.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

const functions = new Map<string, number>();
const places = new Map<string, number>();
let busy = 0;
const special = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  if (isSpecial(frame)) {
    special.set(frame.functionName, (special.get(frame.functionName) ?? 0) + micros);
    if (frame.functionName === '(idle)') continue;
  }
  busy += micros;
  const name = describeFrame(frame);
  functions.set(name, (functions.get(name) ?? 0) + micros);
  const where = place(frame.url);
  places.set(where, (places.get(where) ?? 0) + micros);
}

const count = Number(countArg);
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);
process.stdout.write(`busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s profiled; `);
process.stdout.write([...special].map(([name, micros]) => `${name} ${(micros / 1e6).toFixed(1)} s`).join(', ') + '\n\n');
print('Self time by function', functions, count);
print('Self time by package or file', places, count);

function print(title: string, totals: Map<string, number>, limit: number): void {
  process.stdout.write(`${title}\n`);
  for (const [name, micros] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    process.stdout.write(`${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}\n`);
  }
  process.stdout.write('\n');
}
