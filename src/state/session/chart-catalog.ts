/** The charts of the panel: id (→ data-testid="chart-<id>"), title and the "What to look for" caption. */
export interface ChartMeta {
  id: ChartId;
  title: string;
  caption: string;
}

export type ChartId = 'loss' | 'per-class' | 'groups' | 'feature-norm' | 'feature-space' | 'gcl-cloud' | 'kps' | 'confusion';

export const CHARTS: readonly ChartMeta[] = [
  {
    id: 'loss',
    title: 'Training loss and test accuracy',
    caption: 'the loss should fall while test accuracy climbs; a jump at the marked epochs shows a schedule switch (GA, stage 2).',
  },
  {
    id: 'per-class',
    title: 'Per-class test accuracy, classes sorted by training count',
    caption:
      'with plain cross-entropy accuracy drops from the head (left) to the tail (right); a long-tail loss should flatten that slope.',
  },
  {
    id: 'groups',
    title: 'Many / medium / few accuracy over epochs',
    caption:
      'the gap between the many-shot and few-shot lines is the long-tail problem; good losses close it without sinking the many line.',
  },
  {
    id: 'feature-norm',
    title: 'Feature norm per class over epochs',
    caption: 'under CE tail classes keep smaller feature norms; with FBL the tail norms climb as the curriculum α(t) rises towards 1.',
  },
  {
    id: 'feature-space',
    title: 'Feature space of the test images (PCA)',
    caption:
      'under CE the tail classes crowd together with small norms (small dots); FBL pushes their norms out; with a cosine head GCL and KPS spread the class arrows apart and raise the tail classes’ cosines to their own weight.',
  },
  {
    id: 'gcl-cloud',
    title: 'GCL logit cloud: noise amplitude and sampled shifts per class',
    caption:
      'rarer classes (right) get a larger cloud, so their cosine is pushed down harder during training and they learn wider margins.',
  },
  {
    id: 'kps',
    title: 'KPS: per-class scale s̃ and margin Δ',
    caption:
      'head classes (left) get the larger scales s̃, tail classes (right) the larger margins Δ; the “GA on” line on the time charts marks when tail samples also get a larger logit scale.',
  },
  {
    id: 'confusion',
    title: 'Confusion matrix (last epoch, normalised per true class)',
    caption:
      'a strong diagonal is good; tail classes (bottom rows) leaking into head columns (left) show the bias towards frequent classes.',
  },
];

export const chartMeta = (id: ChartId): ChartMeta => CHARTS.find((c) => c.id === id) as ChartMeta;
