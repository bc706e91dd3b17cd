/** Where a profiled process's CPU went, by layer, from the `.cpuprofile` files `--cpu-prof` writes. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A sample's layer: its npm package, the gateway's own code by lib or app, a Node module, or V8's own work. */
function layerOf(frame: { url: string; functionName: string }): string {
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url)?.[1];
  if (dependency !== undefined) return dependency;
  const own = /\/dist\/apps\/[^/]+\/((?:apps|libs)\/[^/]+)\//.exec(frame.url)?.[1];
  if (own !== undefined) return `gateway ${own}`;
  if (frame.url.startsWith('node:')) return frame.url.split('/').slice(0, 2).join('/');
  // Native frames: system calls (writev is the sockets'), the garbage collector, the compiler.
  return frame.functionName || '(native)';
}

/** The profile's busy time (idle excluded) by layer, largest first, from `--cpu-prof`'s files. */
export function cpuShares(dir: string, top = 20): string[] {
  const byLayer = new Map<string, number>();
  let busy = 0;
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      nodes: { id: number; callFrame: { url: string; functionName: string } }[];
      samples: number[];
      timeDeltas: number[];
    };
    const layers = new Map(profile.nodes.map((node) => [node.id, layerOf(node.callFrame)]));
    profile.samples.forEach((id, index) => {
      const layer = layers.get(id) ?? '(unknown)';
      if (layer === '(idle)') return;
      const micros = profile.timeDeltas[index] ?? 0;
      busy += micros;
      byLayer.set(layer, (byLayer.get(layer) ?? 0) + micros);
    });
  }
  return [...byLayer]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([layer, micros]) => `${((100 * micros) / busy).toFixed(1)}% ${layer}`);
}
