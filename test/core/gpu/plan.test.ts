/**
 * The fused executor's plan, inspected without a GPU: how many dispatches a step takes, that the arenas hand out
 * disjoint, aligned, in-bounds regions, and that every dispatch binds exactly the bindings its kernel declares,
 * none overlapping another (WebGPU forbids aliasing writable storage within one dispatch).
 */
import { describe, expect, it } from 'vitest';
import { convForward, type KernelDef } from '../../../src/core/gpu/kernels';
import { dispatchOf, type Region } from '../../../src/core/gpu/plan';
import { resultLayout, stepLayout, tailLayout } from '../../../src/core/gpu/step-block';
import { LIMITS, planCases, UNUSED } from './plan-fixtures';

const cases = planCases();

/** Dispatches per training step, frozen step and eval forward (independent of head and batch). */
const COUNTS = {
  convnet: { train: 40, frozen: 15, eval: 10 },
  resnet8: { train: 72, frozen: 21, eval: 16 },
  resnet20: { train: 180, frozen: 45, eval: 40 },
  resnet32: { train: 288, frozen: 69, eval: 64 },
};

const end = (r: Region) => r.offset + r.size;
const overlap = (a: Region, b: Region) => a.buffer === b.buffer && a.offset < end(b) && b.offset < end(a);
const inside = (a: Region, outer: Region) => a.buffer === outer.buffer && a.offset >= outer.offset && end(a) <= end(outer);

/**
 * With the tiled kernels: every layer but the first runs them, and its split weight gradient has its own tree-sum
 * dispatch instead of a fold into the next BN backward's final pass (at both batch sizes every such layer is split).
 */
const TILED_EXTRA = { convnet: 2, resnet8: 6, resnet20: 18, resnet32: 30 };

describe.each(cases)('plan of $kind/$head, maxBatch $maxBatch, $conv convolutions', ({ kind, conv, plan }) => {
  const lists = { train: plan.train, frozen: plan.frozen, eval: plan.eval };
  const all = [...plan.train, ...plan.frozen, ...plan.eval];

  it('has the expected dispatch counts', () => {
    const extra = conv === 'tiled' ? TILED_EXTRA[kind] : 0;
    expect({ train: plan.train.length, frozen: plan.frozen.length, eval: plan.eval.length }).toEqual({
      ...COUNTS[kind],
      train: COUNTS[kind].train + extra,
    });
  });

  it('hands out disjoint, 256-byte aligned regions inside their buffers', () => {
    const a = plan.allocations;
    expect(a.length).toBeGreaterThan(5);
    for (const { what, region: r } of a) {
      expect(r.buffer, what).toBeGreaterThan(0);
      expect(r.offset % 256, what).toBe(0);
      expect(r.size, what).toBeGreaterThan(0);
      expect(end(r), what).toBeLessThanOrEqual(plan.bufferSizes[r.buffer]);
      expect(r.size, what).toBeLessThanOrEqual(LIMITS.maxStorageBufferBindingSize);
    }
    for (let i = 0; i < a.length; i++)
      for (let j = i + 1; j < a.length; j++) expect(overlap(a[i].region, a[j].region), `${a[i].what} / ${a[j].what}`).toBe(false);
    for (const s of plan.bufferSizes) expect(s).toBeLessThanOrEqual(LIMITS.maxBufferSize);
  });

  it('lays out the state buffer as P | G | V | R with disjoint parameter slots', () => {
    const T = plan.trainableLength;
    const slots = [...plan.params.entries()].map(([name, s]) => ({ name, ...s }));
    for (const s of slots) {
      if (s.spec.trainable) {
        expect(s.offset + s.size, s.name).toBeLessThanOrEqual(T);
        if (s.spec.classifier) expect(s.offset, s.name).toBeGreaterThanOrEqual(plan.classifierStart);
        else expect(s.offset + s.size, s.name).toBeLessThanOrEqual(plan.classifierStart);
      } else {
        expect(s.offset, s.name).toBeGreaterThanOrEqual(3 * T);
        expect((s.offset + s.size) * 4, s.name).toBeLessThanOrEqual(plan.bufferSizes[0]);
      }
    }
    for (let i = 0; i < slots.length; i++)
      for (let j = i + 1; j < slots.length; j++) {
        const a = slots[i];
        const b = slots[j];
        expect(a.offset < b.offset + b.size && b.offset < a.offset + a.size, `${a.name} / ${b.name}`).toBe(false);
      }
    expect(plan.order.every((n) => plan.params.has(n))).toBe(true);
  });

  it('binds every binding of every kernel, each inside one region of the plan, none overlapping another', () => {
    const state: Region = { buffer: 0, offset: 0, size: plan.bufferSizes[0] };
    const homes = [state, ...plan.allocations.map((x) => x.region)];
    for (const d of all) {
      expect(d.binds.length, d.label).toBe(d.src.bindings.length + 1);
      expect(d.binds.length, d.label).toBeLessThanOrEqual(LIMITS.maxStorageBuffersPerShaderStage);
      d.binds.forEach((r, k) => {
        const where = `${d.label} binding ${k}`;
        expect(r.offset % 256, where).toBe(0);
        expect(r.size, where).toBeGreaterThanOrEqual(4);
        expect(homes.filter((h) => inside(r, h)).length, where).toBe(1);
      });
      for (let i = 0; i < d.binds.length; i++)
        for (let j = i + 1; j < d.binds.length; j++) expect(overlap(d.binds[i], d.binds[j]), `${d.label}: ${i} / ${j}`).toBe(false);
      // binding 0 is the step block or a meta slot of the control region
      expect(inside(d.binds[0], plan.control), d.label).toBe(true);
      for (const g of d.groups) {
        expect(Number.isInteger(g) && g >= 1 && g <= LIMITS.maxComputeWorkgroupsPerDimension, d.label).toBe(true);
      }
    }
    for (const list of Object.values(lists)) expect(new Set(list).size).toBe(list.length);
  });

  it('writes n into the step block and every meta slot it binds', () => {
    const metaOffsets = new Set(all.map((d) => (d.binds[0].offset - plan.control.offset) / 4));
    expect(new Set(plan.nWords)).toEqual(metaOffsets);
  });
});

describe('kernel definitions', () => {
  const defs = new Map<string, KernelDef>();
  for (const c of cases) for (const d of [...c.plan.train, ...c.plan.frozen, ...c.plan.eval]) defs.set(d.src.name, d.src);
  for (const k of UNUSED) defs.set(k.name, k);

  it.each([...defs.values()])('$name declares in WGSL exactly the bindings and meta words it names', (def) => {
    const declared = [...def.code.matchAll(/@binding\((\d+)\) var<storage, read_write> (\w+) :/g)].map((m) => [Number(m[1]), m[2]]);
    expect(declared).toEqual(['m', ...def.bindings].map((n, i) => [i, `b${n}`]));
    expect(new Set(def.bindings).size).toBe(def.bindings.length);
    // a shape-specialised kernel has its meta words as override constants, the others read them from binding 0
    if (def.meta !== 'step' && def.constants) def.meta.forEach((n) => expect(def.code).toContain(`override ${n} : i32;`));
    else if (def.meta !== 'step') def.meta.forEach((n, k) => expect(def.code).toContain(`let ${n} = bitcast<i32>(bm[${k + 1}]);`));
    expect(def.code).toContain(`@workgroup_size(${def.workgroupSize})`);
  });

  it('every dispatch launches at least the threads its kernel asks for', () => {
    for (const { plan } of cases) {
      const dims = { maxBatch: plan.maxBatch, C: plan.numClasses, D: plan.featureDim };
      for (const d of [...plan.train, ...plan.frozen, ...plan.eval]) {
        const meta =
          d.meta === 'step' ? {} : Object.fromEntries((d.src.meta as readonly string[]).map((n, k) => [n, (d.meta as number[])[k]]));
        const l = d.src.launch(meta, dims);
        const groups = d.groups[0] * d.groups[1] * d.groups[2];
        if ('threads' in l) expect(groups * d.src.workgroupSize, d.label).toBeGreaterThanOrEqual(l.threads);
        else expect(d.groups, d.label).toEqual(l.workgroups);
        // the gradient sum's partials are all written (the health check reads every one)
        if (d.src.name === 'grad-sum') expect(groups * d.src.workgroupSize, d.label).toBeGreaterThanOrEqual((d.meta as number[])[1]);
      }
    }
  });

  const r = (offset: number): Region => ({ buffer: 1, offset, size: 256 });
  const geom = { H: 4, W: 4, CI: 4, HO: 4, WO: 4, CO: 4, KS: 3, ST: 1, PD: 1 };
  const dims = { maxBatch: 2, C: 3, D: 4 };
  it('binds by name and checks the names against the definition', () => {
    const d = dispatchOf('conv1 forward', convForward, { x: r(0), w: r(256), y: r(512) }, geom, dims, 65535);
    expect(d.binds).toEqual([r(0), r(256), r(512)]);
    expect(d.meta).toEqual([4, 4, 4, 4, 4, 4, 3, 1, 1]);
    expect(d.groups).toEqual([1, 1, 1]);
    expect(() => dispatchOf('conv1 forward', convForward, { x: r(0), w: r(256) }, geom, dims, 65535)).toThrow(
      /conv1 forward \(kernel 'conv-forward'\): binding 'y' is not bound/,
    );
    const extra = { x: r(0), w: r(256), y: r(512), z: r(768) } as { x: Region; w: Region; y: Region };
    expect(() => dispatchOf('conv1 forward', convForward, extra, geom, dims, 65535)).toThrow(/'conv-forward'\): unknown binding 'z'/);
    const { PD: _, ...short } = geom;
    expect(() => dispatchOf('c', convForward, { x: r(0), w: r(256), y: r(512) }, short as typeof geom, dims, 65535)).toThrow(
      /'conv-forward'\): meta PD = undefined/,
    );
    expect(() => dispatchOf('c', convForward, { x: r(0), w: r(256), y: r(512) }, { ...geom, Q: 1 } as typeof geom, dims, 65535)).toThrow(
      /'conv-forward'\): unknown meta word 'Q'/,
    );
  });
});

/** Floats each kernel family reads or writes through each binding, at n = maxBatch (from its meta words). */
type Need = (m: Record<string, number>, d: { B: number; C: number; D: number; linear: boolean }) => Record<string, number>;
const tailFloats = (d: { B: number; C: number }) => tailLayout(d.B, d.C).total;
const NEEDS: [RegExp, Need][] = [
  [/^conv-forward/, (m, { B }) => ({ x: B * m.H * m.W * m.CI, w: m.KS * m.KS * m.CI * m.CO, y: B * m.HO * m.WO * m.CO })],
  [
    /^conv-input-grad/,
    (m, { B }) => {
      const out = B * m.HO * m.WO * m.CO;
      return { dy: out, w: m.KS * m.KS * m.CI * m.CO, dx: B * m.H * m.W * m.CI, gout: out, out };
    },
  ],
  [/^conv-weight-grad/, (m, { B }) => ({ x: B * m.H * m.W * m.CI, dy: B * m.HO * m.WO * m.CO, out: m.CHUNKS * m.KS * m.KS * m.CI * m.CO })],
  [/^chunk-sum(-tree)?$/, (m) => ({ part: m.SIZE * m.CHUNKS, grad: m.SIZE })],
  [
    /^bn-apply/,
    (m, { B }) => ({ x: B * m.H * m.W * m.C, st: 2 * m.CS, gb: 2 * m.C, y: B * m.H * m.W * m.C, res: B * m.HIN * m.WIN * m.CIN }),
  ],
  [/^bn-stats-partial$/, (m, { B }) => ({ x: B * m.HW * m.C, part: 3 * m.C * m.P })],
  [/^bn-stats-final/, (m) => ({ part: 3 * m.C * m.P, st: 3 * m.CS })],
  [/^bn-backward-partial/, (m, { B }) => ({ gy: B * m.HW * m.C, y: B * m.HW * m.C, x: B * m.HW * m.C, st: 2 * m.CS, part: 2 * m.C * m.P })],
  [/^bn-backward-final/, (m) => ({ part: 2 * m.C * m.P, grad: 2 * m.C, cpart: m.SIZE * m.CHUNKS, cgrad: m.SIZE })],
  [
    /^bn-backward-apply/,
    (m, { B }) => {
      const a = B * m.HW * m.C;
      return { gy: a, y: a, x: a, st: 2 * m.CS, gb: 2 * m.C, grad: 2 * m.C, dx: a };
    },
  ],
  [/^bn-commit$/, (m) => ({ res: 3, st: m.L * m.SS, run: m.L * m.RS })],
  [/^maxpool$/, (m, { B }) => ({ x: B * m.H * m.W * m.C, y: B * Math.floor(m.H / m.S) * Math.floor(m.W / m.S) * m.C })],
  [
    /^maxpool-backward$/,
    (m, { B }) => ({ x: B * m.H * m.W * m.C, gy: B * Math.floor(m.H / m.S) * Math.floor(m.W / m.S) * m.C, dx: B * m.H * m.W * m.C }),
  ],
  [/^gap$/, (m, { B }) => ({ x: B * m.HW * m.C, f: B * m.C })],
  [/^gap-backward$/, (m, { B }) => ({ df: B * m.C, dx: B * m.HW * m.C })],
  [/^head-forward/, (_m, d) => ({ f: d.B * d.D, p: d.D * d.C + (d.linear ? d.C : 0), t: tailFloats(d) })],
  [/^loss$/, (_m, d) => ({ f: d.B * d.D, t: tailFloats(d), res: resultLayout(d.B).total })],
  [
    /^head-backward/,
    (_m, d) => {
      const cls = d.D * d.C + (d.linear ? d.C : 0);
      return { f: d.B * d.D, p: cls, t: tailFloats(d), g: cls, df: d.B * d.D };
    },
  ],
  [/^grad-sum$/, (m) => ({ g: m.LEN, part: 2 * m.P })],
  [/^health$/, (m) => ({ part: 2 * m.P, res: 3 })],
  [/^sgd$/, (m) => ({ step: 4, res: 3, p: m.LEN, g: m.LEN, v: m.LEN })],
];

describe.each(cases)('binding sizes of $kind/$head, maxBatch $maxBatch', ({ head, plan }) => {
  it('gives every binding at least the floats its kernel uses', () => {
    const d0 = { B: plan.maxBatch, C: plan.numClasses, D: plan.featureDim, linear: head === 'linear' };
    for (const d of [...plan.train, ...plan.frozen, ...plan.eval]) {
      const found = NEEDS.find(([re]) => re.test(d.src.name));
      expect(found, `${d.src.name} has no entry in NEEDS`).toBeDefined();
      const meta =
        d.meta === 'step' ? {} : Object.fromEntries((d.src.meta as readonly string[]).map((n, k) => [n, (d.meta as number[])[k]]));
      const need = found![1](meta, d0);
      const zero = d.meta === 'step' ? stepLayout(d0.B, d0.C).total : d.meta.length + 1;
      expect(d.binds[0].size, `${d.label}: binding 0`).toBeGreaterThanOrEqual(zero * 4);
      d.src.bindings.forEach((name, k) => {
        expect(need[name], `${d.src.name}: no need for '${name}'`).toBeDefined();
        expect(d.binds[k + 1].size, `${d.label}: ${name}`).toBeGreaterThanOrEqual(Math.max(1, need[name]) * 4);
      });
    }
  });
});
