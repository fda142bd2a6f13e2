/**
 * Phase 5, the control region: the step block, then one meta slot per distinct meta (integers as i32 bits; word 0,
 * n, is written before each step); binding 0 of every dispatch becomes its slot or the step block.
 */
import { STEP_WORD, stepLayout } from '../step-block';
import { type Arenas, roundUp, SLOT, sub } from './arenas';
import { STEP_PLACEHOLDER } from './dispatches';
import type { DeviceLimitsLike, Dispatch, Region } from './types';

export interface Control {
  control: Region;
  step: Region;
  controlInit: Float32Array;
  nWords: number[];
}

export function layoutControl(
  lists: Dispatch[][],
  ar: Arenas,
  dims: { B: number; C: number; D: number },
  limits: DeviceLimitsLike,
): Control {
  const { B, C, D } = dims;
  const all = lists.flat();
  const sl = stepLayout(B, C);
  const stepFloats = roundUp(sl.total, SLOT);
  const slots = new Map<string, number>();
  for (const d of all) {
    if (d.meta === 'step') continue;
    if (d.meta.length + 1 > SLOT) throw new Error(`FusedExecutor: ${d.label}: meta too long (internal)`);
    const key = d.meta.join(',');
    if (!slots.has(key)) slots.set(key, stepFloats + slots.size * SLOT);
  }
  const controlFloats = stepFloats + slots.size * SLOT;
  const control = ar.alloc(controlFloats, 'control block');
  const step = sub(control, 0, sl.total);
  const init = new Float32Array(controlFloats);
  const ints = new Int32Array(init.buffer);
  for (const [key, off] of slots) key.split(',').forEach((v, k) => (ints[off + 1 + k] = Number(v)));
  ints[STEP_WORD.maxBatch] = B;
  ints[STEP_WORD.classes] = C;
  ints[STEP_WORD.featureDim] = D;
  for (const d of all) {
    const b0 = d.meta === 'step' ? step : sub(control, slots.get(d.meta.join(','))!, SLOT);
    d.binds = [b0, ...d.binds.map((r) => (r === STEP_PLACEHOLDER ? step : r))];
    if (d.binds.length > limits.maxStorageBuffersPerShaderStage) throw new Error(`FusedExecutor: ${d.label} needs too many bindings`);
  }
  return { control, step, controlInit: init, nWords: [0, ...slots.values()] };
}
