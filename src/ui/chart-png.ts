/**
 * A chart card as a PNG, without any library: the card's title, then everything inside its plot area drawn where
 * the page lays it out — the recharts SVGs (serialised with their computed styles inlined, so CSS classes survive
 * outside the page), the canvases (feature-space dots), and the legend items (recharts' legend is HTML above the
 * plot, in space recharts reserves for it, so nothing overlaps) — on a canvas, then canvas.toBlob('image/png').
 */

const STYLE_PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'stroke-linecap',
  'stroke-linejoin',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'text-anchor',
  'dominant-baseline',
  'alignment-baseline',
  'visibility',
  'display',
  'shape-rendering',
  'paint-order',
] as const;

/**
 * The SVG as standalone markup: computed styles inlined, explicit size and namespace. The view box grows to the
 * drawing's bounding box (axis labels may overflow the surface); `dx`/`dy` say where its origin lands (px).
 */
export function serialiseSvg(svg: SVGSVGElement): { markup: string; width: number; height: number; dx: number; dy: number } {
  const rect = svg.getBoundingClientRect();
  const vb =
    svg.viewBox?.baseVal && svg.viewBox.baseVal.width > 0
      ? svg.viewBox.baseVal
      : { x: 0, y: 0, width: Math.max(1, rect.width), height: Math.max(1, rect.height) };
  const kx = rect.width / vb.width;
  const ky = rect.height / vb.height;
  let x0 = vb.x,
    y0 = vb.y,
    x1 = vb.x + vb.width,
    y1 = vb.y + vb.height;
  try {
    const b = svg.getBBox();
    if (b.width > 0 && b.height > 0) {
      const m = 2;
      x0 = Math.min(x0, b.x - m);
      y0 = Math.min(y0, b.y - m);
      x1 = Math.max(x1, b.x + b.width + m);
      y1 = Math.max(y1, b.y + b.height + m);
    }
  } catch {
    /* not rendered: keep the view box */
  }
  const width = Math.max(1, Math.round((x1 - x0) * kx));
  const height = Math.max(1, Math.round((y1 - y0) * ky));
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const src = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const dst = [clone, ...Array.from(clone.querySelectorAll('*'))];
  for (let i = 0; i < src.length && i < dst.length; i++) {
    const cs = getComputedStyle(src[i]);
    const parts: string[] = [];
    for (const p of STYLE_PROPS) {
      const v = cs.getPropertyValue(p);
      if (v) parts.push(`${p}:${v}`);
    }
    (dst[i] as SVGElement).setAttribute('style', parts.join(';'));
  }
  // a <foreignObject> (the feature-space canvas) would taint the canvas the image is drawn on: the canvases are
  // drawn separately
  for (const fo of Array.from(clone.querySelectorAll('foreignObject'))) fo.remove();
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('xmlns:xlink', 'http://www.w3.org/1999/xlink');
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  clone.setAttribute('viewBox', `${x0} ${y0} ${x1 - x0} ${y1 - y0}`);
  clone.setAttribute('preserveAspectRatio', 'none');
  return { markup: new XMLSerializer().serializeToString(clone), width, height, dx: (x0 - vb.x) * kx, dy: (y0 - vb.y) * ky };
}

function loadImage(markup: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    const url = URL.createObjectURL(new Blob([markup], { type: 'image/svg+xml;charset=utf-8' }));
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('the chart could not be drawn as an image'));
    };
    img.src = url;
  });
}

export interface CardPiece {
  kind: 'svg' | 'canvas' | 'legend';
  /** Box in PNG coordinates (CSS px, before `scale`). */
  x: number;
  y: number;
  w: number;
  h: number;
  el: Element;
  /** Legend items: the label. */
  label?: string;
}

/** Tooltips and focus overlays are not part of the picture. */
const SKIP = '.recharts-tooltip-wrapper, .ltc-cm-tip, .ltc-cm-keys, .ltc-cm-labels';

/**
 * What the PNG of a card holds and where (pure DOM reading): the title on top, then the card's plot area as laid
 * out in the page — plot SVGs, canvases, legend items (swatch + label) — shifted under the title.
 */
export function cardLayout(card: HTMLElement): {
  width: number;
  height: number;
  title: string;
  titleH: number;
  pad: number;
  pieces: CardPiece[];
} {
  const pad = 16;
  const title = card.querySelector('h3')?.textContent ?? '';
  const titleH = title ? 34 : 0;
  const plot = card.querySelector<HTMLElement>('.ltc-plot');
  const cardRect = card.getBoundingClientRect();
  const width = Math.ceil(cardRect.width);
  if (!plot) return { width, height: pad * 2 + titleH, title, titleH, pad, pieces: [] };
  const p = plot.getBoundingClientRect();
  const top = pad + titleH;
  const place = (r: DOMRect) => ({ x: r.left - cardRect.left, y: top + (r.top - p.top), w: r.width, h: r.height });
  const pieces: CardPiece[] = [];
  for (const li of Array.from(plot.querySelectorAll<HTMLLIElement>('.ltc-legend li'))) {
    if (li.closest(SKIP)) continue;
    pieces.push({ kind: 'legend', ...place(li.getBoundingClientRect()), el: li, label: li.textContent ?? '' });
  }
  for (const svg of Array.from(plot.querySelectorAll<SVGSVGElement>('svg'))) {
    if (svg.parentElement?.closest('svg') || svg.closest('.ltc-legend') || svg.closest(SKIP)) continue;
    const r = svg.getBoundingClientRect();
    if (r.width > 40 && r.height > 40) pieces.push({ kind: 'svg', ...place(r), el: svg });
  }
  for (const c of Array.from(plot.querySelectorAll<HTMLCanvasElement>('canvas'))) {
    if (c.width > 0 && c.height > 0 && !c.closest(SKIP)) pieces.push({ kind: 'canvas', ...place(c.getBoundingClientRect()), el: c });
  }
  const bottom = Math.max(top, ...pieces.map((q) => q.y + q.h));
  return { width, height: Math.ceil(bottom + pad), title, titleH, pad, pieces };
}

/** Draws a chart card (title, legend, plot SVGs and canvases where the page has them) at `scale`× → PNG. */
export async function chartCardToPng(card: HTMLElement, scale = 2): Promise<Blob> {
  const L = cardLayout(card);
  if (!L.pieces.some((q) => q.kind !== 'legend')) throw new Error('this chart has nothing to draw yet');
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(L.width * scale);
  canvas.height = Math.round(L.height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas in this browser');
  ctx.scale(scale, scale);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, L.width, L.height);
  const font = getComputedStyle(card).fontFamily || 'sans-serif';
  ctx.fillStyle = '#111';
  ctx.textBaseline = 'middle';
  if (L.title) {
    ctx.font = `600 18px ${font}`;
    ctx.fillText(L.title, L.pad, L.pad + L.titleH / 2 - 4, L.width - 2 * L.pad);
  }
  // canvases first (the SVG above them holds the axes and the grid)
  for (const q of L.pieces.filter((x) => x.kind === 'canvas')) ctx.drawImage(q.el as HTMLCanvasElement, q.x, q.y, q.w, q.h);
  for (const q of L.pieces.filter((x) => x.kind === 'svg')) {
    const s = serialiseSvg(q.el as SVGSVGElement);
    ctx.drawImage(await loadImage(s.markup), q.x + s.dx, q.y + s.dy, s.width, s.height);
  }
  for (const q of L.pieces.filter((x) => x.kind === 'legend')) {
    const swatch = q.el.querySelector('svg');
    const label = q.el.querySelector('span, .ltc-legend-link');
    if (swatch) {
      const r = swatch.getBoundingClientRect();
      const li = q.el.getBoundingClientRect();
      const s = serialiseSvg(swatch);
      ctx.drawImage(await loadImage(s.markup), q.x + (r.left - li.left) + s.dx, q.y + (r.top - li.top) + s.dy, s.width, s.height);
    }
    if (label) {
      const r = label.getBoundingClientRect();
      const li = q.el.getBoundingClientRect();
      const cs = getComputedStyle(label);
      ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily || font}`;
      ctx.fillStyle = '#222';
      ctx.fillText(label.textContent ?? '', q.x + (r.left - li.left), q.y + (r.top - li.top) + r.height / 2);
    }
  }
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('canvas.toBlob gave no PNG'))), 'image/png'),
  );
}

/** Saves `data` as a file through a temporary <a download> (all in the page; nothing is uploaded). */
export function downloadFile(data: Blob | ArrayBuffer | Uint8Array | string, fileName: string, mime = 'application/octet-stream'): void {
  const blob = data instanceof Blob ? data : new Blob([data as BlobPart], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
