/**
 * npx node test/bench/flame-graph.ts <file.cpuprofile> [out.svg]
 *
 * A flame graph of a V8 CPU profile (node --cpu-prof; `npm run bench -- --cpu-prof DIR`
 * draws one for the service and one for the floor), as an SVG that any browser shows: each
 * box is a function in one call path, as wide as the time spent in it and in what it
 * called, its callers below it; hover over a box for its figures. Idle time is left out;
 * colours tell this project's code, dependencies, Node.js's own JavaScript and native code
 * apart. Written next to the profile by default.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeFrame, place, readProfile, type ProfileNode } from './cpuprofile.ts';

const WIDTH = 1600;
const ROW = 17;
const TOP = 40;
/** Boxes narrower than this many pixels are not drawn, nor what they called. */
const MIN_WIDTH = 0.3;
const CHAR_WIDTH = 6.5;

/** Draws the profile in `file` into `out` (default: beside it, .svg); how many boxes it drew. */
export function writeFlameGraph(file: string, out = file.replace(/\.cpuprofile$/, '') + '.svg'): { out: string; boxes: number } {
  const { nodes, byId, selfMicros } = readProfile(file);

  // Time in each node and everything it called, idle left out.
  const totals = new Map<number, number>();
  const total = (node: ProfileNode): number => {
    const known = totals.get(node.id);
    if (known !== undefined) return known;
    const own = node.callFrame.functionName === '(idle)' ? 0 : selfMicros.get(node.id) ?? 0;
    const sum = own + (node.children ?? []).reduce((acc, id) => acc + total(byId.get(id)!), 0);
    totals.set(node.id, sum);
    return sum;
  };
  const root = nodes[0]!;
  const busy = total(root);

  const boxes: Array<{ node: ProfileNode; x: number; level: number; width: number }> = [];
  const lay = (node: ProfileNode, x: number, level: number) => {
    const width = (total(node) / busy) * WIDTH;
    if (width < MIN_WIDTH) return;
    boxes.push({ node, x, level, width });
    let childX = x;
    for (const id of node.children ?? []) {
      const child = byId.get(id)!;
      lay(child, childX, level + 1);
      childX += (total(child) / busy) * WIDTH;
    }
  };
  lay(root, 0, 0);

  const draw = ({ node, x, level, width }: (typeof boxes)[number]) => {
    const { callFrame } = node;
    const micros = total(node);
    const label = callFrame.functionName === '(root)' ? 'all' : describeFrame(callFrame);
    const title = `${label}: ${(micros / 1000).toFixed(0)} ms, ${((100 * micros) / busy).toFixed(2)}%`;
    const fits = Math.floor((width - 4) / CHAR_WIDTH);
    const text = fits >= 3 ? (label.length <= fits ? label : `${label.slice(0, fits - 1)}…`) : '';
    const y = height - 10 - (level + 1) * ROW;
    return `<g><title>${escape(title)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${width.toFixed(2)}" height="${ROW - 1}" fill="${colour(callFrame)}" rx="1"/>`
      + (text ? `<text x="${(x + 3).toFixed(2)}" y="${y + ROW - 5}">${escape(text)}</text>` : '')
      + '</g>';
  };

  const height = TOP + (Math.max(...boxes.map((b) => b.level)) + 1) * ROW + 10;
  writeFileSync(out, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="monospace" font-size="11">
<rect width="100%" height="100%" fill="#fdfdf8"/>
<text x="8" y="18" font-size="14">${escape(`${file}: ${(busy / 1e6).toFixed(1)} s busy (idle left out)`)}</text>
<text x="8" y="33" fill="#555">green: this project; yellow to red: dependencies; blue: Node.js; grey: native and V8</text>
${boxes.map(draw).join('\n')}
</svg>
`);
  return { out, boxes: boxes.length };
}

function colour(frame: ProfileNode['callFrame']): string {
  const where = place(frame.url);
  if (where === '(native)') return '#c8c8c8';
  if (where.startsWith('node:')) return `hsl(${205 + hue(where, 20)} 55% 72%)`;
  if (where.startsWith('node_modules/')) return `hsl(${hue(where, 45)} 85% 62%)`;
  return 'hsl(125 50% 58%)';
}

/** A stable hue offset for a name, so one package keeps one colour. */
function hue(name: string, range: number): number {
  return createHash('sha256').update(name).digest()[0]! % range;
}

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, out] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('Usage: npx node test/bench/flame-graph.ts <file.cpuprofile> [out.svg]\n');
    process.exit(2);
  }
  const drawn = writeFlameGraph(file, out);
  process.stdout.write(`${drawn.out}: ${drawn.boxes} boxes\n`);
}
