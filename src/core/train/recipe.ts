/**
 * "Authors' recipe": the training options around each loss as the authors' official scripts set them, as one
 * switch. tfjs-free (the page and the CLI both use it). Each option names the script line it comes from; the
 * scripts are Keke921/GCLLoss (GCL), Keke921/KPSLoss (KPS), juyongjiang/FBL (FBL) and kaidic/LDAM-DRW (LDAM-DRW,
 * CB re-weighting); CE, Balanced Softmax and logit adjustment run in the GCL/KPS scripts' setting.
 *
 * 'ours' is the project's default recipe (the fields take their defaults: no mixup, PyTorch-default linear init,
 * the scaled FBL curriculum, stage 2 from the last stage-1 epoch with CBEN); it leaves the batch size alone.
 */
import type { LossId } from '../losses/types';
import { DEFAULT_CONFIG, type TrainConfig } from './config';

export type RecipeId = 'ours' | 'authors';

/** One setting the recipe sets: where, to what, and the script line it comes from. */
export interface RecipeSetting {
  key: 'batchSize' | 'mixupAlpha' | 'linearInit' | 'fblCurriculum' | 'stage2.from' | 'stage2.sampler' | 'stage2.batchSize';
  label: string;
  value: number | string;
  /** The authors' script and line. */
  source: string;
}

/** Losses whose authors' script is LDAM-DRW's `cifar_train.py` (batch 128). */
const LDAM_SCRIPT: readonly LossId[] = ['ldam', 'cbce'];
/** Losses the cosine head (and so GCL stage 2) goes with. */
const TWO_STAGE: readonly LossId[] = ['gcl'];

/** What the authors' recipe sets for `loss` (the head-dependent linear init is listed for every loss). */
export function authorsSettings(loss: LossId): RecipeSetting[] {
  const out: RecipeSetting[] = [];
  if (LDAM_SCRIPT.includes(loss)) {
    out.push({ key: 'batchSize', label: 'batch size', value: 128, source: 'kaidic/LDAM-DRW cifar_train.py line 47 (-b, default 128)' });
  } else {
    const src =
      loss === 'kps'
        ? 'Keke921/KPSLoss cifar_train.py line 48 (-b, default 64)'
        : loss === 'fbl'
          ? 'juyongjiang/FBL train.py line 447 (--batch_size, default 64; run.sh uses 64)'
          : 'Keke921/GCLLoss cifar_train_backbone.py line 49 (-b, default 64)';
    out.push({ key: 'batchSize', label: 'batch size', value: 64, source: src });
  }
  out.push({
    key: 'mixupAlpha',
    label: 'mixup α',
    value: loss === 'gcl' ? 1 : 0,
    source:
      loss === 'gcl'
        ? 'Keke921/GCLLoss cifar_train_backbone.py line 39 (--mixup default True) with utils.py line 142 (mixup_data alpha=1.0)'
        : loss === 'kps'
          ? 'Keke921/KPSLoss cifar_train.py line 38 (--mixup default False)'
          : loss === 'fbl'
            ? 'juyongjiang/FBL train.py line 425 (--mixup default False)'
            : 'kaidic/LDAM-DRW cifar_train.py has no mixup',
  });
  out.push({
    key: 'linearInit',
    label: 'linear-head init',
    value: 'kaiming',
    source:
      'kaiming_normal_ on nn.Linear in _weights_init: Keke921/GCLLoss models/resnet_cifar.py lines 34–37 (same in KPSLoss, FBL lines 13–14, LDAM-DRW lines 34–35)',
  });
  if (loss === 'fbl') {
    out.push({
      key: 'fblCurriculum',
      label: 'FBL curriculum',
      value: 'official',
      source: 'juyongjiang/FBL train.py line 226: curr = (epoch / (args.epochs-10)) ** 2',
    });
  }
  if (TWO_STAGE.includes(loss)) {
    out.push(
      {
        key: 'stage2.from',
        label: 'stage 2 starts from',
        value: 'best',
        source: 'Keke921/GCLLoss cifar_train_classifier.py line 60 (--resume default ckpt.best.pth.tar)',
      },
      {
        key: 'stage2.sampler',
        label: 'stage-2 sampler',
        value: 'classBalanced',
        source: 'Keke921/GCLLoss cifar_train_classifier.py line 37 (--train_rule default BalancedRS; sampler.py lines 6–40)',
      },
      {
        key: 'stage2.batchSize',
        label: 'stage-2 batch size',
        value: 64,
        source: 'Keke921/GCLLoss cifar_train_classifier.py line 48 (-b, default 64); mixup there too, line 47',
      },
    );
  }
  return out;
}

/**
 * `config` with the recipe's settings for `loss` (default: config.loss); a new object. 'ours' takes the stage-2
 * sampler and batch size from `defaults` (the page passes its own defaults).
 */
export function applyRecipe(
  config: TrainConfig,
  recipe: RecipeId,
  loss: LossId = config.loss,
  defaults: Pick<TrainConfig, 'stage2'> = DEFAULT_CONFIG,
): TrainConfig {
  const c: TrainConfig = { ...config, stage2: { ...config.stage2 } };
  if (recipe === 'ours') {
    delete c.mixupAlpha;
    delete c.linearInit;
    delete c.fblCurriculum;
    delete c.stage2.from;
    c.stage2.sampler = defaults.stage2.sampler;
    c.stage2.batchSize = defaults.stage2.batchSize;
    return c;
  }
  for (const s of authorsSettings(loss)) {
    switch (s.key) {
      case 'batchSize':
        c.batchSize = s.value as number;
        break;
      case 'mixupAlpha':
        c.mixupAlpha = s.value as number;
        break;
      case 'linearInit':
        c.linearInit = 'kaiming';
        break;
      case 'fblCurriculum':
        c.fblCurriculum = 'official';
        break;
      case 'stage2.from':
        c.stage2.from = 'best';
        break;
      case 'stage2.sampler':
        c.stage2.sampler = 'classBalanced';
        break;
      case 'stage2.batchSize':
        c.stage2.batchSize = s.value as number;
        break;
    }
  }
  return c;
}

/** Whether `config` has every setting of the authors' recipe for its loss. */
export function isAuthorsRecipe(config: TrainConfig): boolean {
  const want = applyRecipe(config, 'authors');
  return JSON.stringify(normalise(want)) === JSON.stringify(normalise(config));
}

function normalise(c: TrainConfig): unknown {
  return {
    b: c.batchSize,
    m: c.mixupAlpha ?? 0,
    i: c.linearInit ?? 'uniform',
    f: c.fblCurriculum ?? 'scaled',
    s: [c.stage2.from ?? 'last', c.stage2.sampler, c.stage2.batchSize],
  };
}
