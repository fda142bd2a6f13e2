// Layer rules for ESLint (see eslint.config.js): which folder of src/ may import which, and no import cycles.
// src/core → src/worker → src/state → src/ui for the page, src/core → src/worker → src/node → src/cli for the Node
// side (node: the CLI's services; cli: thin entry points): a file imports only its own layer or the ones below.
// Inside src/core the sub-folders are ordered too (CORE_ORDER): each imports only those before it. Type-only imports
// count: a type cycle ties the layers together as much as a value one.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');
const LAYER = { core: 0, worker: 1, state: 2, ui: 3, node: 3, cli: 4 };
/** Layers a side may not import although they sit below it: the CLI's side (node, cli) stands on core and worker. */
const APART = { node: ['state'], cli: ['state', 'ui'] };
/** src/core's folders (and root modules) from the bottom up; other root modules (the backend choice) are on top. */
export const CORE_ORDER = ['rng', 'format', 'data', 'metrics', 'models', 'losses', 'tfjs-kernels', 'gpu', 'train', 'export'];

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm;

/** The src file a relative specifier resolves to, or null (a package, or outside src). */
function resolveImport(fromFile, spec) {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), path.join(base, 'index.tsx')]) {
    if (c.startsWith(SRC + path.sep) && fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  return null;
}

/** Where a src file sits: its layer and, in core, its rank among CORE_ORDER. */
function place(file) {
  const rel = path.relative(SRC, file).split(path.sep);
  if (rel.length < 2) return null; // src/main.tsx, src/csp.ts: the entry points, unrestricted
  const layer = rel[0];
  if (!(layer in LAYER)) return null;
  let rank = null;
  if (layer === 'core') {
    let unit = rel.length === 2 ? rel[1].replace(/\.tsx?$/, '') : rel[1];
    let i = CORE_ORDER.indexOf(unit);
    if (i < 0 && rel.length === 2) unit = 'backend'; // the root modules of the backend choice: one unit, on top
    if (i < 0) i = CORE_ORDER.length;
    rank = { unit, i };
  }
  return { layer, rank };
}

/** Why `from` may not import `to` (null: it may). */
export function layerProblem(from, to) {
  const a = place(from);
  const b = place(to);
  if (!a || !b) return null;
  if (a.layer !== b.layer) {
    if (APART[a.layer]?.includes(b.layer)) return `src/${a.layer} may not import src/${b.layer} (the CLI's side, node and cli, stands on core and worker)`;
    if (LAYER[b.layer] >= LAYER[a.layer]) return `src/${a.layer} may not import src/${b.layer} (layers: core → worker → state → ui; core → worker → node → cli)`;
    return null;
  }
  if (a.layer === 'core' && a.rank.unit !== b.rank.unit && b.rank.i >= a.rank.i) {
    return `core/${a.rank.unit} may not import core/${b.rank.unit} (core's order: ${CORE_ORDER.join(' → ')}, then the backend modules)`;
  }
  return null;
}

function listSrc(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) listSrc(p, out);
    else if (/\.tsx?$/.test(e.name) && !/\.d\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

/** The import graph of src/ (every relative import, types included), and the files on a cycle with one cycle each. */
export function importCycles() {
  const graph = new Map();
  for (const f of listSrc(SRC)) {
    const text = fs.readFileSync(f, 'utf8');
    const deps = new Set();
    for (const m of text.matchAll(IMPORT_RE)) {
      const t = resolveImport(f, m[1] ?? m[2] ?? m[3]);
      if (t && t !== f) deps.add(t);
    }
    graph.set(f, [...deps]);
  }
  // Tarjan's strongly connected components
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const cycles = new Map();
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) {
        const names = comp.map((c) => path.relative(ROOT, c)).sort();
        for (const c of comp) cycles.set(c, names);
      }
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return cycles;
}

/**
 * Import cycles tolerated by `no-cycles`: none, and none is allowed (type-only imports count). The list stays so that
 * a cycle could only come back by being named here, where review sees it; `test/lint-layers.test.ts` checks that it
 * equals the cycles found.
 */
export const KNOWN_CYCLES = [];

let cyclesOnce = null;

export const layerRules = {
  layers: {
    meta: { type: 'problem', schema: [], messages: { up: 'Import of {{spec}}: {{why}}' } },
    create(context) {
      const file = context.filename;
      const check = (node) => {
        const spec = node.source?.value;
        if (typeof spec !== 'string') return;
        const to = resolveImport(file, spec);
        const why = to && layerProblem(file, to);
        if (why) context.report({ node, messageId: 'up', data: { spec, why } });
      };
      return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
    },
  },
  'no-cycles': {
    meta: { type: 'problem', schema: [], messages: { cycle: 'This file is on an import cycle: {{files}}' } },
    create(context) {
      return {
        Program(node) {
          if (!context.filename.startsWith(SRC + path.sep)) return;
          cyclesOnce ??= importCycles();
          const c = cyclesOnce.get(context.filename);
          if (c && !KNOWN_CYCLES.includes(c.join(', '))) context.report({ node, messageId: 'cycle', data: { files: c.join(', ') } });
        },
      };
    },
  },
};
