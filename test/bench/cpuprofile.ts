import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A V8 CPU profile (`node --cpu-prof`): a call tree and the samples taken in it. */
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  byId: Map<number, ProfileNode>;
  /** Time each node was on top of the stack, in microseconds. */
  selfMicros: Map<number, number>;
}

export function readProfile(file: string): CpuProfile {
  const { nodes, samples, timeDeltas } = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  // Each sample's delta belongs to the node on top of the stack.
  const selfMicros = new Map<number, number>();
  samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (timeDeltas[i] ?? 0)));
  return { nodes, byId: new Map(nodes.map((node) => [node.id, node])), selfMicros };
}

/** (idle), (program), (garbage collector), (root): V8's own entries, with no source. */
export const isSpecial = (frame: ProfileNode['callFrame']) => frame.functionName.startsWith('(') && !frame.url;

/** node_modules/<package> for dependencies, the path for project files, node: for built-ins. */
export function place(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (module?.[1]) return `node_modules/${module[1]}`;
  return relative(process.cwd(), path);
}

/** A function as the reports name it: its name, where it is, and its line. */
export function describeFrame(frame: ProfileNode['callFrame']): string {
  return `${frame.functionName || '(anonymous)'}  ${place(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
}
