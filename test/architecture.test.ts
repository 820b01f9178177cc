// The layering of docs/architecture.md, checked on every import of src/: each folder imports
// only from the layers below it, the store is reached through its interfaces, and no two modules
// of the service layer import each other (directly or around a loop).
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';

const SRC = path.resolve('src');

/** Layer of a source file (relative to src/, with '/'), or 'root' for the composition root and tools. */
function layerOf(rel: string): string {
  const top = rel.split('/')[0];
  return rel.includes('/') && ['domain', 'store', 'pki', 'protocol', 'identity', 'service', 'http'].includes(top) ? top : 'root';
}

/** What each layer may import (besides itself). `store-api` is store/types.ts and store/errors.ts. */
const ALLOWED: Record<string, string[]> = {
  domain: [],
  store: ['domain'],
  pki: ['domain'],
  protocol: ['domain', 'pki'],
  identity: ['domain', 'pki', 'store-api'],
  service: ['domain', 'pki', 'protocol', 'identity', 'store-api'],
  http: ['domain', 'pki', 'protocol', 'identity', 'service', 'store-api'],
  root: ['domain', 'store', 'pki', 'protocol', 'identity', 'service', 'http', 'root'],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file (static, re-exports and dynamic), resolved to paths under src/. */
function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]);
  return specs.map((s) =>
    path
      .relative(SRC, path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')))
      .split(path.sep)
      .join('/'),
  );
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sourceFiles(SRC)) g.set(path.relative(SRC, f).split(path.sep).join('/'), importsOf(f, fs.readFileSync(f, 'utf8')));
  return g;
}

/** Import edges that go up or sideways across layers, as "from → to". */
export function layerViolations(g: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [from, tos] of g) {
    const lf = layerOf(from);
    for (const to of tos) {
      const lt = layerOf(to);
      if (lt === lf) continue;
      const kind = lt === 'store' && (to === 'store/types.ts' || to === 'store/errors.ts') ? 'store-api' : lt;
      if (!ALLOWED[lf].includes(kind) && !(kind === 'store-api' && ALLOWED[lf].includes('store'))) out.push(`${from} → ${to}`);
    }
  }
  return out;
}

/** Strongly connected components of more than one file among `files` (Tarjan). */
function cycles(g: Map<string, string[]>, files: Set<string>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  let n = 0;
  const visit = (v: string): void => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!files.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

t.test('every import of src/ goes down the layers', async (t) => {
  const g = graph();
  t.ok(g.size > 100, 'the source tree was read');
  t.same(layerViolations(g), [], 'no upward or sideways import');
});

/** The import graph between service modules: a folder of service/ is one module, a file directly in it another. */
function serviceModules(g: Map<string, string[]>): Map<string, string[]> {
  const mod = (f: string): string | undefined => (f.startsWith('service/') ? f.split('/').slice(0, 2).join('/') : undefined);
  const m = new Map<string, string[]>();
  for (const [from, tos] of g) {
    const a = mod(from);
    if (!a) continue;
    const edges = m.get(a) ?? [];
    for (const to of tos) {
      const b = mod(to);
      if (b && b !== a && !edges.includes(b)) edges.push(b);
    }
    m.set(a, edges);
  }
  return m;
}

t.test('no import cycle between modules of the service layer, nor anywhere below the root', async (t) => {
  const g = graph();
  const modules = serviceModules(g);
  t.ok(modules.size > 5, 'the service modules were found');
  t.same(cycles(modules, new Set(modules.keys())), [], 'service modules (a folder counts as one)');
  const layered = new Set([...g.keys()].filter((f) => layerOf(f) !== 'root'));
  t.same(cycles(g, layered), [], 'every layered module');
});

t.test('the checks find what they are for', async (t) => {
  // A store module reaching up into the service layer, and two service modules importing each other.
  const g = new Map<string, string[]>([
    ['store/sqlite/x.ts', ['service/a.ts', 'domain/device.ts']],
    ['service/a.ts', ['service/b/c.ts', 'store/types.ts', 'store/sqlite/x.ts']],
    ['service/b/c.ts', ['service/a.ts']],
    ['http/h.ts', ['service/a.ts', 'store/errors.ts']],
  ]);
  t.same(layerViolations(g), ['store/sqlite/x.ts → service/a.ts', 'service/a.ts → store/sqlite/x.ts']);
  t.same(cycles(g, new Set(['service/a.ts', 'service/b/c.ts'])), [['service/a.ts', 'service/b/c.ts']]);
  // Folders as modules: b/c.ts → d/e.ts and d/f.ts → b/g.ts make b and d a loop, with no file-level cycle.
  const folders = new Map<string, string[]>([
    ['service/b/c.ts', ['service/d/e.ts']],
    ['service/d/f.ts', ['service/b/g.ts']],
  ]);
  t.same(cycles(folders, new Set(folders.keys())), []);
  t.same(cycles(serviceModules(folders), new Set(['service/b', 'service/d'])), [['service/b', 'service/d']]);
});
