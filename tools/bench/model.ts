/**
 * The modelled GPU rows of the bench (src/core/gpu/cost-model.ts): for the configurations the bench measures, the
 * fused step's dispatches, FLOPs, global bytes and roofline time on each GPU profile, per kernel class. A planning
 * proxy printed beside the measured rows — never a measurement.
 */
import { GPU_PROFILES, KERNEL_CLASSES, type KernelClass, modelStep } from '../../src/core/gpu/cost-model';
import type { ConvVariant } from '../../src/core/gpu/kernels';
import { buildPlan, type DeviceLimitsLike } from '../../src/core/gpu/plan';
import { buildSpec } from '../../src/core/models';
import { configKey, LT_COUNTS, type StepConfig } from './step';

/** Limits of a large adapter (an H100 through Dawn): the plan's buffers are split at these, the dispatches not. */
const LIMITS: DeviceLimitsLike = {
  maxStorageBufferBindingSize: 2 ** 31 - 4,
  maxBufferSize: 2 ** 32,
  minStorageBufferOffsetAlignment: 256,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 8,
};

/** The shapes the GPU comparison is about: ConvNet b64 28×28×1, ResNet-8 and ResNet-32 b128 32×32×3 (CE). */
export const MODELLED_CONFIGS: readonly StepConfig[] = [
  { model: 'convnet', batch: 64, input: [28, 28, 1], loss: 'ce' },
  { model: 'resnet8', batch: 128, input: [32, 32, 3], loss: 'ce' },
  { model: 'resnet32', batch: 128, input: [32, 32, 3], loss: 'ce' },
];

/** The plan variants the modelled rows compare: today's direct kernels and the tiled ones where they fit. */
export const MODELLED_VARIANTS: readonly ConvVariant[] = ['direct', 'tiled'];

export interface ModelledRow {
  config: string;
  /** The convolution kernels of the modelled plan ('auto': the hardware rule, tiled where a layer is large enough). */
  convVariant: ConvVariant | 'auto';
  dispatches: number;
  gflop: number;
  /** Global bytes read + written, MB. */
  mb: number;
  threads: number;
  /** Per profile: ms per step, img/s, ms per kernel class, dispatches that underfill the GPU. */
  profiles: { profile: string; name: string; ms: number; imgPerSec: number; byClass: Record<KernelClass, number>; underfilled: number }[];
  byClass: Record<KernelClass, { dispatches: number; gflop: number; mb: number }>;
}

export function modelledRow(c: StepConfig, conv: ConvVariant | 'auto' = 'direct'): ModelledRow {
  const head = c.loss === 'ce' ? 'linear' : 'cosine';
  const plan = buildPlan(buildSpec({ kind: c.model, head, inputShape: c.input, numClasses: LT_COUNTS.length }), c.batch, LIMITS, conv);
  const m = modelStep(plan);
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return {
    config: configKey(c),
    convVariant: conv,
    dispatches: m.dispatches,
    gflop: r3(m.flops / 1e9),
    mb: r3((m.bytesRead + m.bytesWritten) / 1e6),
    threads: m.threads,
    profiles: m.estimates.map((e) => ({
      profile: e.profile,
      name: GPU_PROFILES.find((p) => p.id === e.profile)?.name ?? e.profile,
      ms: r3(e.ms),
      imgPerSec: Math.round((c.batch / e.ms) * 1000),
      byClass: Object.fromEntries(KERNEL_CLASSES.map((k) => [k, r3(e.byClass[k])])) as Record<KernelClass, number>,
      underfilled: e.underfilled,
    })),
    byClass: Object.fromEntries(
      KERNEL_CLASSES.map((k) => [
        k,
        { dispatches: m.byClass[k].dispatches, gflop: r3(m.byClass[k].flops / 1e9), mb: r3(m.byClass[k].bytes / 1e6) },
      ]),
    ) as ModelledRow['byClass'],
  };
}

export interface ModelledOutcome {
  note: string;
  profiles: { id: string; name: string; assumptions: string }[];
  rows: ModelledRow[];
}

export function modelledRows(
  configs: readonly StepConfig[] = MODELLED_CONFIGS,
  variants: readonly ConvVariant[] = MODELLED_VARIANTS,
): ModelledOutcome {
  const seen = new Set<string>();
  const rows: ModelledRow[] = [];
  for (const c of configs) {
    if (seen.has(configKey(c))) continue;
    seen.add(configKey(c));
    for (const v of variants) rows.push(modelledRow(c, v));
  }
  return {
    note: 'modelled, not measured: roofline max(compute, memory) per dispatch at attainable rates, divided by the share of the GPU its grid fills, plus a fixed cost per dispatch (src/core/gpu/cost-model.ts)',
    profiles: GPU_PROFILES.map((p) => ({ id: p.id, name: p.name, assumptions: p.why })),
    rows,
  };
}

export function modelledMarkdown(o: ModelledOutcome): string {
  const lines = [
    `Modelled GPU time of one fused training step — a planning proxy, not a measurement (${o.note}). Profiles: ${o.profiles.map((p) => `${p.name} (${p.assumptions})`).join('; ')}.`,
    '',
    `| model/batch/input/loss | convolutions | dispatches | GFLOP | global MB | ${o.profiles.map((p) => `${p.id} ms/step (img/s) · conv / bn / pool / loss / sgd ms · underfilled`).join(' | ')} |`,
    `|---|---|---:|---:|---:|${o.profiles.map(() => '---|').join('')}`,
  ];
  for (const r of o.rows) {
    const per = r.profiles.map(
      (p) =>
        `${p.ms.toFixed(2)} (${p.imgPerSec.toLocaleString('en-US')}) · ${KERNEL_CLASSES.map((k) => p.byClass[k].toFixed(2)).join(' / ')} · ${p.underfilled}`,
    );
    lines.push(`| ${r.config} | ${r.convVariant} | ${r.dispatches} | ${r.gflop.toFixed(1)} | ${r.mb.toFixed(0)} | ${per.join(' | ')} |`);
  }
  return lines.join('\n');
}
