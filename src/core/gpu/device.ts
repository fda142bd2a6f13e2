/**
 * Pipelines and bind-group layouts, created once per (device, shader source) and shared by every executor on that
 * device (tests build many executors; pipelines compile slowly on a software adapter).
 */
import type { KernelDef } from './kernels';

const layouts = new WeakMap<GPUDevice, Map<number, { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout }>>();
const pipelines = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

/** Bind-group and pipeline layout for `n` read-write storage bindings. */
export function storageLayout(device: GPUDevice, n: number): { bgl: GPUBindGroupLayout; pl: GPUPipelineLayout } {
  let m = layouts.get(device);
  if (!m) layouts.set(device, (m = new Map()));
  let l = m.get(n);
  if (!l) {
    const bgl = device.createBindGroupLayout({
      entries: Array.from({ length: n }, (_, i) => ({
        binding: i,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: 'storage' as const },
      })),
    });
    l = { bgl, pl: device.createPipelineLayout({ bindGroupLayouts: [bgl] }) };
    m.set(n, l);
  }
  return l;
}

async function compile(device: GPUDevice, src: KernelDef, constants?: Readonly<Record<string, number>>): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ code: src.code, label: src.name });
  try {
    return await device.createComputePipelineAsync({
      label: src.name,
      layout: storageLayout(device, src.bindings.length + 1).pl,
      compute: { module, entryPoint: 'main', ...(constants ? { constants: { ...constants } } : {}) },
    });
  } catch (e) {
    let detail = '';
    try {
      const info = await module.getCompilationInfo();
      detail = info.messages
        .filter((m) => m.type === 'error')
        .map((m) => `line ${m.lineNum}: ${m.message}`)
        .join('; ');
    } catch {
      /* compilation info unavailable */
    }
    throw new Error(`FusedExecutor: kernel '${src.name}' failed to compile: ${(e as Error).message}${detail ? ` (${detail})` : ''}`, {
      cause: e,
    });
  }
}

/** The key of a pipeline: its source, and its override constants if it has any. */
export const pipelineKey = (src: KernelDef, constants?: Readonly<Record<string, number>>) =>
  constants ? `${src.code}\n// constants ${JSON.stringify(constants)}` : src.code;

/** The pipeline of `src` (with these override constants) on `device`, compiled at most once. */
export function pipelineFor(device: GPUDevice, src: KernelDef, constants?: Readonly<Record<string, number>>): Promise<GPUComputePipeline> {
  const key = pipelineKey(src, constants);
  let m = pipelines.get(device);
  if (!m) pipelines.set(device, (m = new Map()));
  let p = m.get(key);
  if (!p) {
    p = compile(device, src, constants);
    m.set(key, p);
    p.catch(() => m.delete(key));
  }
  return p;
}
