/**
 * Runs the executor's head and loss kernels (head forward → loss → head backward) on given features and classifier
 * weights, outside a model: the golden-file check of the losses goes through the very WGSL the executor trains
 * with. Allocates its buffers per call (a test and diagnostics tool, not a training path).
 */
import type { LogitForm } from '../losses/logit-form';
import { pipelineFor, storageLayout } from './device';
import { groups1d, headBackward, headForward, type KernelDef, loss } from './kernels';
import { checkLossInputs, fail, RESULT_WORD, resultLayout, stepLayout, tailLayout, writeStepBlock } from './step-block';

export interface TailProbeInput {
  head: 'cosine' | 'linear';
  /** [B×D] row-major. */
  features: Float32Array;
  /** [D×C] row-major. */
  weight: Float32Array;
  /** [C] (linear head). */
  bias?: Float32Array;
  D: number;
  C: number;
  labels: Int32Array;
  form: LogitForm;
  noise?: Float32Array;
  mix?: { labels: Int32Array; lambda: number; noise?: Float32Array };
}

export interface TailProbeResult {
  output: Float32Array;
  loss: number;
  /** d loss / d output [B×C] (features held fixed). */
  gradOutput: Float32Array;
  /** d loss / d features [B×D] (through the head and, for FBL, through ‖f‖). */
  gradFeatures: Float32Array;
  gradWeight: Float32Array;
  gradBias: Float32Array | null;
  featureNorms: Float32Array;
  preds: Int32Array;
}

export async function runTailProbe(device: GPUDevice, a: TailProbeInput): Promise<TailProbeResult> {
  const { D, C } = a;
  const B = a.labels.length;
  if (B < 1 || a.features.length !== B * D) fail(`tail probe: features must be ${B}×${D}`);
  if (a.weight.length !== D * C) fail(`tail probe: weight must be ${D}×${C}`);
  if (a.head === 'linear' && (!a.bias || a.bias.length !== C)) fail(`tail probe: the linear head needs a bias of ${C}`);
  const vecs = checkLossInputs({ ...a, n: B }, C, 'tail probe');
  const clsLen = a.head === 'linear' ? D * C + C : D * C;
  const sizes = {
    step: stepLayout(B, C).total,
    f: B * D,
    p: clsLen,
    t: tailLayout(B, C).total,
    res: resultLayout(B).total,
    g: clsLen,
    df: B * D,
  };
  const offs: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of Object.entries(sizes)) {
    offs[k] = total;
    total += Math.ceil((v * 4) / 256) * 256;
  }
  const buf = device.createBuffer({ size: total, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  const read = device.createBuffer({ size: total, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const step = new Float32Array(sizes.step);
    writeStepBlock(
      step,
      new Int32Array(step.buffer),
      { maxBatch: B, C, D },
      { ...a, n: B, lr: 0, weightDecay: 0, momentum: 0, frozen: false },
      vecs,
    );
    device.queue.writeBuffer(buf, offs.step, step);
    device.queue.writeBuffer(buf, offs.f, a.features);
    const p = new Float32Array(clsLen);
    p.set(a.weight);
    if (a.head === 'linear') p.set(a.bias!, D * C);
    device.queue.writeBuffer(buf, offs.p, p);
    // binding 0 is the step block, the others are named after the regions above
    const bind = (src: KernelDef) =>
      ['step', ...src.bindings].map((k, i) => {
        if (!(k in sizes)) fail(`tail probe: no region for binding '${k}' of ${src.name}`);
        const key = k as keyof typeof sizes;
        return { binding: i, resource: { buffer: buf, offset: offs[key], size: sizes[key] * 4 } };
      });
    const jobs = [headForward(a.head), loss, headBackward(a.head)].map((src) => {
      const l = src.launch({}, { maxBatch: B, C, D });
      return { src, groups: 'threads' in l ? groups1d(l.threads, src.workgroupSize) : l.workgroups };
    });
    const pipes = await Promise.all(jobs.map(({ src }) => pipelineFor(device, src)));
    device.pushErrorScope('validation');
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    jobs.forEach(({ src, groups }, k) => {
      pass.setPipeline(pipes[k]);
      pass.setBindGroup(0, device.createBindGroup({ layout: storageLayout(device, src.bindings.length + 1).bgl, entries: bind(src) }));
      pass.dispatchWorkgroups(...groups);
    });
    pass.end();
    enc.copyBufferToBuffer(buf, 0, read, 0, total);
    device.queue.submit([enc.finish()]);
    const err = await device.popErrorScope();
    if (err) fail(`tail probe failed on the GPU: ${err.message}`);
    await read.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    const at = (k: keyof typeof sizes, from: number, len: number) => all.slice(offs[k] / 4 + from, offs[k] / 4 + from + len);
    const tl = tailLayout(B, C);
    const rl = resultLayout(B);
    return {
      output: at('t', tl.o, B * C),
      loss: at('res', RESULT_WORD.loss, 1)[0],
      gradOutput: at('t', tl.dO, B * C),
      gradFeatures: at('df', 0, B * D),
      gradWeight: at('g', 0, D * C),
      gradBias: a.head === 'linear' ? at('g', D * C, C) : null,
      featureNorms: at('res', rl.norms, B),
      preds: Int32Array.from(at('res', rl.preds, B)),
    };
  } finally {
    buf.destroy();
    read.destroy();
  }
}
