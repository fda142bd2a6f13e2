/**
 * "Try an image": show the current model one image — drawn on a canvas, picked, dropped or pasted, or sent from the
 * confusion-matrix drill-down — and see its class probabilities, head and tail classes marked. The image is fitted
 * to the data set's size in the page (black background, centred; grey for one channel) and scored in the worker
 * exactly as the evaluation scores a test image, on whatever engine trains the run.
 */
import { useCallback, useEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import type { ClassifyImageResult } from '../worker/protocol';
import { FMNIST_CLASS_NAMES } from '../state/settings/settings';
import { PanelBoundary } from './PanelBoundary';
import { usePg, usePlayground } from './context';
import { useModalDialog } from './use-modal-dialog';
import './export.css';
import { percent } from '../core/format';

/** Side of the drawing canvas in CSS pixels (the image is scaled down to the data set's size). */
const PAD = 224;

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/**
 * RGBA pixels (any size) as uint8 HWC at `shape`: fitted inside (aspect kept, centred on black), grey as the
 * luminance for one channel, optionally inverted (a dark drawing on a light photo background).
 */
export function fitPixels(rgba: Uint8ClampedArray, w: number, h: number, shape: ImageShape, opts: { invert?: boolean } = {}): Uint8Array {
  const { height: H, width: W, channels: C } = shape;
  const out = new Uint8Array(H * W * C);
  const s = Math.min(W / w, H / h);
  const dw = w * s;
  const dh = h * s;
  const ox = (W - dw) / 2;
  const oy = (H - dh) / 2;
  // box filter: every target pixel averages the source pixels whose centres fall in it
  const sum = new Float64Array(H * W * 3);
  const count = new Float64Array(H * W);
  for (let y = 0; y < h; y++) {
    const ty = Math.floor(oy + (y + 0.5) * s);
    if (ty < 0 || ty >= H) continue;
    for (let x = 0; x < w; x++) {
      const tx = Math.floor(ox + (x + 0.5) * s);
      if (tx < 0 || tx >= W) continue;
      const i = (y * w + x) * 4;
      const a = rgba[i + 3] / 255;
      const t = ty * W + tx;
      for (let c = 0; c < 3; c++) {
        const v = rgba[i + c] * a; // transparent = black
        sum[t * 3 + c] += opts.invert ? (255 - rgba[i + c]) * a : v;
      }
      count[t]++;
    }
  }
  for (let t = 0; t < H * W; t++) {
    const n = count[t] || 1;
    const r = sum[t * 3] / n;
    const g = sum[t * 3 + 1] / n;
    const b = sum[t * 3 + 2] / n;
    if (C === 1) out[t] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else for (let c = 0; c < C; c++) out[t * C + c] = Math.round([r, g, b][Math.min(c, 2)]);
  }
  return out;
}

/** Reads an image file (PNG, JPEG, …) into RGBA with the browser's decoder. */
async function decodeFile(file: Blob): Promise<{ rgba: Uint8ClampedArray; w: number; h: number }> {
  const bmp = await createImageBitmap(file);
  try {
    const w = Math.min(bmp.width, 1024);
    const h = Math.min(bmp.height, 1024);
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bmp, 0, 0, w, h);
    return { rgba: ctx.getImageData(0, 0, w, h).data, w, h };
  } finally {
    bmp.close();
  }
}

/** What the dialog was opened with: nothing (draw), or pixels at the data set's size (a test image). */
export interface TryImageInput {
  pixels: Uint8Array;
  label: string;
}

type Outcome = { kind: 'idle' } | { kind: 'busy' } | { kind: 'done'; result: ClassifyImageResult } | { kind: 'error'; message: string };

export function TryImageDialog({ open, input, onClose }: { open: boolean; input: TryImageInput | null; onClose: () => void }) {
  const { session } = usePlayground();
  const ref = useModalDialog(open);
  const summary = usePg((s) => s.summary);
  const shape = usePg((s) => s.summary?.imageShape);
  const classNames = summary?.classNames ?? FMNIST_CLASS_NAMES;
  const groups = summary?.groups ?? [];
  const dims: ImageShape = { height: shape?.height ?? 28, width: shape?.width ?? 28, channels: shape?.channels ?? 1 };
  const pad = useRef<HTMLCanvasElement>(null);
  const preview = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const [pixels, setPixels] = useState<Uint8Array | null>(null);
  const [source, setSource] = useState('');
  const [invert, setInvert] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'idle' });

  const classify = useCallback(
    (px: Uint8Array) => {
      setPixels(px);
      setOutcome({ kind: 'busy' });
      session.classifyImage(px).then(
        (result) => setOutcome({ kind: 'done', result }),
        (e: unknown) => setOutcome({ kind: 'error', message: e instanceof Error ? e.message : String(e) }),
      );
    },
    [session],
  );

  const clearPad = () => {
    const ctx = pad.current?.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, PAD, PAD);
  };

  // a test image sent from the drill-down is scored at once
  useEffect(() => {
    if (!open) return;
    clearPad();
    if (input) {
      setSource(input.label);
      classify(input.pixels);
    } else {
      setSource('');
      setPixels(null);
      setOutcome({ kind: 'idle' });
    }
  }, [open, input, classify]);

  // the image as the model sees it
  useEffect(() => {
    const ctx = preview.current?.getContext('2d');
    if (!ctx || !pixels) return;
    const { height: H, width: W, channels: C } = dims;
    if (pixels.length !== H * W * C) return;
    const img = ctx.createImageData(W, H);
    for (let i = 0; i < H * W; i++) {
      for (let c = 0; c < 3; c++) img.data[i * 4 + c] = pixels[i * C + (C >= 3 ? c : 0)];
      img.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [pixels, dims.height, dims.width, dims.channels]); // eslint-disable-line react-hooks/exhaustive-deps

  const scorePad = () => {
    const ctx = pad.current?.getContext('2d');
    if (!ctx) return;
    setSource('your drawing');
    classify(fitPixels(ctx.getImageData(0, 0, PAD, PAD).data, PAD, PAD, dims));
  };

  const scoreFile = async (file: Blob, name: string) => {
    try {
      const { rgba, w, h } = await decodeFile(file);
      setSource(name);
      classify(fitPixels(rgba, w, h, dims, { invert }));
    } catch (e) {
      setOutcome({ kind: 'error', message: `${name} could not be read as an image (${e instanceof Error ? e.message : String(e)})` });
    }
  };

  const at = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * PAD, y: ((e.clientY - r.top) / r.height) * PAD };
  };
  const stroke = (e: ReactPointerEvent<HTMLCanvasElement>) => {
    const ctx = pad.current?.getContext('2d');
    if (!ctx || !drawing.current) return;
    const p = at(e);
    ctx.fillStyle = '#fff';
    ctx.beginPath();
    ctx.arc(p.x, p.y, PAD / 18, 0, Math.PI * 2);
    ctx.fill();
  };

  const probs = outcome.kind === 'done' ? outcome.result.probs : null;
  const order = probs ? probs.map((p, c) => [p, c] as const).sort((a, b) => b[0] - a[0]) : [];

  return (
    <dialog
      ref={ref}
      className="export-dialog try-image"
      aria-labelledby="try-title"
      data-testid="try-image"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onPaste={(e) => {
        const f = [...e.clipboardData.files].find((x) => x.type.startsWith('image/'));
        if (f) void scoreFile(f, 'the pasted image');
      }}
    >
      {open && (
        <div className="export-body">
          <div className="export-head">
            <h2 id="try-title">Try an image</h2>
            <button type="button" className="dismiss" aria-label="Close Try an image" onClick={onClose}>
              Close
            </button>
          </div>
          <p className="export-note">
            Draw, pick, drop or paste an image: the current model scores it as it scores a test image ({dims.height}×{dims.width}
            {dims.channels === 1 ? ', grey' : ''}). Nothing leaves this tab.
          </p>
          <div className="try-row">
            <div
              onDragOver={(e) => e.preventDefault()}
              onDrop={(e) => {
                e.preventDefault();
                const f = e.dataTransfer.files[0];
                if (f) void scoreFile(f, f.name);
              }}
            >
              <canvas
                ref={pad}
                width={PAD}
                height={PAD}
                className="try-pad"
                data-testid="try-pad"
                role="img"
                aria-label="Drawing area: draw with the mouse, a pen or a finger (white on black, like Fashion-MNIST), or drop an image here"
                onPointerDown={(e) => {
                  drawing.current = true;
                  e.currentTarget.setPointerCapture?.(e.pointerId);
                  stroke(e);
                }}
                onPointerMove={stroke}
                onPointerUp={() => {
                  drawing.current = false;
                  scorePad();
                }}
              />
              <div className="export-buttons">
                <button type="button" onClick={scorePad}>
                  Score the drawing
                </button>
                <button type="button" onClick={clearPad}>
                  Clear
                </button>
              </div>
              <label className="try-file">
                Pick an image{' '}
                <input
                  type="file"
                  accept="image/*"
                  aria-label="Pick an image to score"
                  onChange={(e) => {
                    const f = e.target.files?.[0];
                    if (f) void scoreFile(f, f.name);
                    e.target.value = '';
                  }}
                />
              </label>
              <label className="inline-check">
                <input type="checkbox" checked={invert} onChange={(e) => setInvert(e.target.checked)} /> invert picked images (dark object
                on a light background)
              </label>
            </div>
            <div className="try-result">
              <p className="handoff-title">The model sees</p>
              <canvas
                ref={preview}
                width={dims.width}
                height={dims.height}
                className="try-preview"
                role="img"
                aria-label={source ? `The scored image: ${source}` : 'No image scored yet'}
              />
              {outcome.kind === 'busy' && <p role="status">Scoring…</p>}
              {outcome.kind === 'error' && <p role="alert">{outcome.message}</p>}
              {outcome.kind === 'done' && (
                <>
                  <p role="status" data-testid="try-verdict">
                    {source ? `${source}: ` : ''}
                    <strong>{classNames[outcome.result.pred] ?? `class ${outcome.result.pred}`}</strong> (
                    {percent(outcome.result.probs[outcome.result.pred])}), by the model {outcome.result.stage === 2 ? 'of stage 2 ' : ''}
                    after {outcome.result.epoch} epoch
                    {outcome.result.epoch === 1 ? '' : 's'}
                  </p>
                  <table className="runs-table try-probs" data-testid="try-probs">
                    <caption className="ltc-sr-only">Class probabilities of the scored image, most likely first</caption>
                    <thead>
                      <tr>
                        <th scope="col">class</th>
                        <th scope="col">group</th>
                        <th scope="col">probability</th>
                      </tr>
                    </thead>
                    <tbody>
                      {order.map(([p, c]) => (
                        <tr key={c} data-class={c} data-prob={p}>
                          <th scope="row">{classNames[c] ?? `class ${c}`}</th>
                          <td className={`try-group try-${groups[c] ?? 'none'}`}>
                            {groups[c] === 'many' ? 'head' : groups[c] === 'few' ? 'tail' : (groups[c] ?? '')}
                          </td>
                          <td className="num">
                            <span className="try-bar" style={{ width: `${Math.round(100 * p)}%` }} aria-hidden="true" />
                            {percent(p)}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </>
              )}
            </div>
          </div>
        </div>
      )}
    </dialog>
  );
}

/** The header's "Try an image…" button and the page's one dialog (the drill-down opens it through the store). */
export function TryImageButton({ disabled }: { disabled: boolean }) {
  const { store } = usePlayground();
  const t = usePg((s) => s.tryImage);
  return (
    <>
      <button
        type="button"
        className="try-open"
        disabled={disabled}
        title={disabled ? 'Start a run first' : 'Show the model an image and see its class probabilities'}
        onClick={() => store.getState().setTryImage(null)}
        aria-haspopup="dialog"
        aria-label="Try an image…"
      >
        <span className="label-long">Try an image…</span>
        <span className="label-short">Try…</span>
      </button>
      <PanelBoundary name="Try an image" onDismiss={() => store.getState().setTryImage(undefined)}>
        <TryImageDialog open={t !== undefined} input={t ?? null} onClose={() => store.getState().setTryImage(undefined)} />
      </PanelBoundary>
    </>
  );
}

/** On a phone the header has no room for it: the same opener above the charts (the dialog is the header's). */
export function TryImagePhoneButton() {
  const { store } = usePlayground();
  const hasRun = usePg((s) => s.summary !== null);
  return (
    <button
      type="button"
      className="try-open-phone"
      disabled={!hasRun}
      onClick={() => store.getState().setTryImage(null)}
      aria-haspopup="dialog"
    >
      Try an image…
    </button>
  );
}
