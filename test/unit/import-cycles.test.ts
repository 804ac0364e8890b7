/**
 * No module imports itself through others, type imports included: a cycle means two modules that
 * are really one, or a type living on the wrong side (issue 10 found worker-protocol.ts and the page
 * client importing each other). madge and dpdm need the TypeScript compiler API, which the native
 * TypeScript 7 compiler this project uses does not have, so the import graph is read here from the
 * source text: every relative `import ... from`, `export ... from` and bare `import '...'`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const DIRS = ['scenarios', 'metrics', 'servers', 'clients', 'bench', 'reports', 'scripts', 'conformance', 'test'];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?[^'";]*?\sfrom\s+['"](\.[^'"]+)['"]|(?:^|\n)\s*import\s+['"](\.[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir)))) {
    const text = readFileSync(file, 'utf8');
    graph.set(file, [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), (m[1] ?? m[2])!)));
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'visiting');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'visiting') found.push([...stack.slice(stack.indexOf(next)), next].map((p) => relative(ROOT, p)).join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe('import graph', () => {
  it('reads the imports it should (the scan is not vacuous)', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(100);
    const session = graph.get(join(ROOT, 'bench/session.ts')) ?? [];
    expect(session.length).toBeGreaterThan(3);
    expect(cycles(new Map([['a', ['b']], ['b', ['a']]]))).toEqual(['a -> b -> a']);
  });

  it('has no cycle, type imports included', () => {
    expect(cycles(importGraph())).toEqual([]);
  });
});
