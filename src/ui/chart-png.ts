/**
 * A chart card as a PNG, without any library: the card's SVGs are serialised with their computed styles inlined
 * (so CSS classes survive outside the page), loaded into <img> elements and drawn on a canvas together with the
 * card's title and legend, then canvas.toBlob('image/png').
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

/** Draws a chart card (title, legend, plot SVGs) at `scale`× and resolves with the PNG. */
export async function chartCardToPng(card: HTMLElement, scale = 2): Promise<Blob> {
  const cardRect = card.getBoundingClientRect();
  const title = card.querySelector('h3')?.textContent ?? '';
  const legend = Array.from(card.querySelectorAll<HTMLLIElement>('.ltc-legend li')).map((li) => ({
    svg: li.querySelector('svg'),
    label: li.textContent ?? '',
  }));
  const plotSvgs = Array.from(card.querySelectorAll<SVGSVGElement>('.ltc-plot svg')).filter((s) => {
    if (s.parentElement?.closest('svg')) return false; // nested svg: drawn with its parent
    const r = s.getBoundingClientRect();
    return r.width > 40 && r.height > 40;
  });
  // charts drawn on a canvas are copied as they are
  const canvases = Array.from(card.querySelectorAll<HTMLCanvasElement>('.ltc-plot canvas')).filter((c) => c.width > 0 && c.height > 0);
  if (!plotSvgs.length && !canvases.length) throw new Error('this chart has nothing to draw yet');
  const serialised = plotSvgs.map((s) => serialiseSvg(s));
  const plotTop = Math.min(...plotSvgs.map((s) => s.getBoundingClientRect().top), ...canvases.map((c) => c.getBoundingClientRect().top));
  const plotBottom = Math.max(
    ...plotSvgs.map((s, i) => s.getBoundingClientRect().top + serialised[i].dy + serialised[i].height),
    ...canvases.map((c) => c.getBoundingClientRect().bottom),
  );
  // content drawn above the surfaces (overflowing labels)
  const extraTop = Math.max(0, ...plotSvgs.map((s, i) => plotTop - (s.getBoundingClientRect().top + serialised[i].dy)));
  const pad = 16;
  const ctx0 = document.createElement('canvas').getContext('2d')!;
  const titleH = title ? 34 : 0;
  ctx0.font = `14px ${getComputedStyle(card).fontFamily || 'sans-serif'}`;
  let rowsNeeded = legend.length ? 1 : 0;
  {
    let x = pad;
    for (const it of legend) {
      const w = 28 + ctx0.measureText(it.label).width + 18;
      if (x + w > cardRect.width - pad && x > pad) {
        rowsNeeded++;
        x = pad;
      }
      x += w;
    }
  }
  const legendH = legend.length ? 6 + 22 * rowsNeeded : 0;
  const width = Math.ceil(cardRect.width);
  const height = Math.ceil(pad + titleH + legendH + extraTop + (plotBottom - plotTop) + pad);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas in this browser');
  ctx.scale(scale, scale);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#111';
  ctx.textBaseline = 'middle';
  const font = getComputedStyle(card).fontFamily || 'sans-serif';
  if (title) {
    ctx.font = `600 18px ${font}`;
    ctx.fillText(title, pad, pad + titleH / 2 - 4, width - 2 * pad);
  }
  if (legend.length) {
    ctx.font = `14px ${font}`;
    let x = pad;
    let y = pad + titleH + legendH / 2 - 4;
    for (const it of legend) {
      const w = 28 + ctx.measureText(it.label).width + 18;
      if (x + w > width - pad && x > pad) {
        x = pad;
        y += 22;
      }
      if (it.svg) {
        const s = serialiseSvg(it.svg);
        ctx.drawImage(await loadImage(s.markup), x + s.dx, y - 7 + s.dy, s.width, s.height);
      }
      ctx.fillStyle = '#222';
      ctx.fillText(it.label, x + 30, y);
      x += w;
    }
  }
  const top = pad + titleH + legendH;
  for (const c of canvases) {
    const r = c.getBoundingClientRect();
    ctx.drawImage(c, r.left - cardRect.left, top + extraTop + (r.top - plotTop), r.width, r.height);
  }
  for (const [i, svg] of plotSvgs.entries()) {
    const r = svg.getBoundingClientRect();
    const s = serialised[i];
    ctx.drawImage(await loadImage(s.markup), r.left - cardRect.left + s.dx, top + extraTop + (r.top - plotTop) + s.dy, s.width, s.height);
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
