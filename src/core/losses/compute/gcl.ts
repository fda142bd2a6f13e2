/** tfjs computation of GCL stage 1 and 2, s·(cos − noiseMul·|ε|·d̂_c − m·[c = y]) (+ focal) (../gcl.ts describes it). */
import * as tf from '@tensorflow/tfjs';
import { checkClassCount } from '../schema';
import { logGapNormalized } from '../perclass';
import { crossEntropy, focalWeightNoGrad, nllPerSample, oneHotF, rowVec, type LossCompute } from './common';

const WHO = 'GCL';

export const computeGcl: LossCompute = (inp, params, ctx) => {
  const [B, C] = inp.output.shape;
  checkClassCount(ctx.counts, C, WHO);
  const dHat = logGapNormalized(ctx.counts, WHO);
  const oh = oneHotF(inp.labels, C);
  const eps = ctx.noise(B, C);
  if (eps.shape[0] !== B || eps.shape[1] !== C) {
    throw new Error(`${WHO}: noise source returned shape [${eps.shape}] but [${B}, ${C}] was requested`);
  }
  const cloud = tf.mul(tf.abs(eps), rowVec(dHat.map((d) => params.noiseMul * d)));
  let shifted = tf.sub(inp.output, cloud);
  if (params.m !== 0) shifted = tf.sub(shifted, tf.mul(oh, params.m));
  const logits = tf.mul(shifted, params.s) as tf.Tensor2D;
  if (params.focalGamma === 0) return crossEntropy(logits, oh);
  const nll = nllPerSample(logits, oh);
  return tf.mean(tf.mul(focalWeightNoGrad(nll, params.focalGamma), nll)) as tf.Scalar;
};
