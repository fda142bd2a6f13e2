/**
 * A raster canvas (written as PNG by src/core/data/png.ts) with rectangles, lines and a
 * 5×7 bitmap font — enough for the reproduction's per-class accuracy chart without a canvas dependency.
 */
import { encodePng } from '../../core/data/png';

export type Rgb = [number, number, number];

// 5×7 glyphs: 7 rows, each a 5-bit mask (bit 4 = leftmost column). Lower case is drawn as upper case.
const GLYPHS: Record<string, number[]> = {
  ' ': [0, 0, 0, 0, 0, 0, 0],
  A: [0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  B: [0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e],
  C: [0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e],
  D: [0x1e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1e],
  E: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f],
  F: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10],
  G: [0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f],
  H: [0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  I: [0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e],
  J: [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c],
  K: [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
  L: [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f],
  M: [0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11],
  N: [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
  O: [0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e],
  P: [0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10],
  Q: [0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d],
  R: [0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11],
  S: [0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e],
  T: [0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
  U: [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e],
  V: [0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04],
  W: [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a],
  X: [0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11],
  Y: [0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04],
  Z: [0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f],
  '0': [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
  '1': [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  '2': [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
  '3': [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  '4': [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
  '5': [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  '6': [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
  '7': [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  '8': [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
  '9': [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
  '-': [0, 0, 0, 0x1f, 0, 0, 0],
  '+': [0, 0x04, 0x04, 0x1f, 0x04, 0x04, 0],
  '.': [0, 0, 0, 0, 0, 0x0c, 0x0c],
  ',': [0, 0, 0, 0, 0x0c, 0x04, 0x08],
  ':': [0, 0x0c, 0x0c, 0, 0x0c, 0x0c, 0],
  '%': [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
  '(': [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
  ')': [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
  '/': [0, 0x01, 0x02, 0x04, 0x08, 0x10, 0],
  '=': [0, 0, 0x1f, 0, 0x1f, 0, 0],
  _: [0, 0, 0, 0, 0, 0, 0x1f],
  '#': [0x0a, 0x0a, 0x1f, 0x0a, 0x1f, 0x0a, 0x0a],
  '?': [0x0e, 0x11, 0x01, 0x02, 0x04, 0, 0x04],
  '<': [0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02],
  '>': [0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08],
  "'": [0x04, 0x04, 0x08, 0, 0, 0, 0],
};

/** A white RGB raster with the few drawing operations the charts need. */
export class Raster {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    bg: Rgb = [255, 255, 255],
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) this.pixels.set(bg, i * 3);
  }

  set(x: number, y: number, c: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.pixels.set(c, (y * this.width + x) * 3);
  }

  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.pixels.set(c, (yy * this.width + xx) * 3);
  }

  hline(x0: number, x1: number, y: number, c: Rgb): void {
    this.rect(Math.min(x0, x1), y, Math.abs(x1 - x0) + 1, 1, c);
  }

  vline(x: number, y0: number, y1: number, c: Rgb): void {
    this.rect(x, Math.min(y0, y1), 1, Math.abs(y1 - y0) + 1, c);
  }

  /** Width in pixels of `text` at `scale`. */
  static textWidth(text: string, scale = 1): number {
    return text.length * 6 * scale - scale;
  }

  /** Draws text with its top-left corner at (x, y); unknown characters are drawn as '?'. */
  text(x: number, y: number, text: string, c: Rgb = [0, 0, 0], scale = 1): void {
    let cx = Math.round(x);
    for (const ch of text) {
      const g = GLYPHS[ch] ?? GLYPHS[ch.toUpperCase()] ?? GLYPHS['?'];
      for (let row = 0; row < 7; row++) {
        for (let col = 0; col < 5; col++) {
          if (g[row] & (1 << (4 - col))) this.rect(cx + col * scale, Math.round(y) + row * scale, scale, scale, c);
        }
      }
      cx += 6 * scale;
    }
  }

  toPng(): Uint8Array {
    return encodePng({ width: this.width, height: this.height, colorType: 2, data: this.pixels }, { level: 9 });
  }
}

/** Colour-blind-friendly palette (Okabe–Ito plus greys). */
export const PALETTE: Rgb[] = [
  [0, 114, 178],
  [230, 159, 0],
  [0, 158, 115],
  [204, 121, 167],
  [86, 180, 233],
  [213, 94, 0],
  [120, 120, 120],
  [240, 228, 66],
  [0, 0, 0],
];

export interface GroupedBarChart {
  title: string;
  /** One label per group on the x axis (e.g. class name + count). */
  groups: string[];
  /** One series per run: values in [0, 1] per group (NaN/null = missing). */
  series: { label: string; values: (number | null)[] }[];
  yLabel?: string;
}

/** Renders a grouped bar chart (values 0…1 shown as 0…100 %) to a Raster. */
export function renderGroupedBars(chart: GroupedBarChart, scale = 2): Raster {
  const G = chart.groups.length;
  const S = chart.series.length;
  const barW = 4 * scale;
  const groupGap = 6 * scale;
  const left = 40 * scale;
  const top = 22 * scale;
  const plotH = 150 * scale;
  const groupW = S * barW + groupGap;
  const plotW = G * groupW + groupGap;
  const legendW = 10 * scale + Math.max(...chart.series.map((s) => Raster.textWidth(s.label, scale)), 0);
  const width = Math.max(left + plotW + 12 * scale + legendW + 8 * scale, left + Raster.textWidth(chart.title, scale) + 8 * scale);
  const labelRows = 2;
  const height = top + plotH + (10 + 9 * labelRows) * scale + 8 * scale;
  const r = new Raster(width, height);
  r.text(left, 6 * scale, chart.title, [0, 0, 0], scale);
  const grey: Rgb = [220, 220, 220];
  const axis: Rgb = [60, 60, 60];
  for (let p = 0; p <= 100; p += 20) {
    const y = top + plotH - Math.round((p / 100) * plotH);
    r.hline(left, left + plotW, y, p === 0 ? axis : grey);
    const lab = `${p}%`;
    r.text(left - 4 * scale - Raster.textWidth(lab, scale), y - 3 * scale, lab, axis, scale);
  }
  r.vline(left, top, top + plotH, axis);
  chart.groups.forEach((g, gi) => {
    const gx = left + groupGap + gi * groupW;
    chart.series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || v === undefined || Number.isNaN(v)) return;
      const h = Math.round(Math.max(0, Math.min(1, v)) * plotH);
      r.rect(gx + si * barW, top + plotH - h, barW - (scale > 1 ? 1 : 0), h, PALETTE[si % PALETTE.length]);
    });
    // up to two label rows (split at the first space), centred under the group
    const words = g.split(' ');
    const rows = words.length > 1 ? [words[0], words.slice(1).join(' ')] : [g];
    const maxChars = Math.max(1, Math.floor((groupW - scale) / (6 * scale)));
    rows.slice(0, labelRows).forEach((full, ri) => {
      const t = full.length > maxChars ? full.slice(0, maxChars) : full;
      const tw = Raster.textWidth(t, scale);
      r.text(gx + (S * barW - tw) / 2, top + plotH + (5 + 9 * ri) * scale, t, axis, scale);
    });
  });
  const lx = left + plotW + 12 * scale;
  chart.series.forEach((s, si) => {
    const ly = top + si * 11 * scale;
    r.rect(lx, ly, 7 * scale, 7 * scale, PALETTE[si % PALETTE.length]);
    r.text(lx + 10 * scale, ly, s.label, [0, 0, 0], scale);
  });
  return r;
}

/** The same chart as SVG (real text; for the README or a browser). */
export function renderGroupedBarsSvg(chart: GroupedBarChart): string {
  const G = chart.groups.length;
  const S = chart.series.length;
  const barW = 8;
  const groupGap = 12;
  const left = 50;
  const top = 36;
  const plotH = 300;
  const groupW = S * barW + groupGap;
  const plotW = G * groupW + groupGap;
  const width = left + plotW + 200;
  const height = top + plotH + 60;
  const hex = (c: Rgb) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="14">${esc(chart.title)}</text>`,
  ];
  for (let p = 0; p <= 100; p += 20) {
    const y = top + plotH - (p / 100) * plotH;
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="${p ? '#ddd' : '#333'}"/>`);
    out.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end">${p}%</text>`);
  }
  chart.groups.forEach((g, gi) => {
    const gx = left + groupGap + gi * groupW;
    chart.series.forEach((s, si) => {
      const v = s.values[gi];
      if (v === null || v === undefined || Number.isNaN(v)) return;
      const h = Math.max(0, Math.min(1, v)) * plotH;
      out.push(
        `<rect x="${gx + si * barW}" y="${(top + plotH - h).toFixed(1)}" width="${barW - 1}" height="${h.toFixed(1)}" fill="${hex(PALETTE[si % PALETTE.length])}"><title>${esc(s.label)} ${esc(g)}: ${(100 * v).toFixed(1)}%</title></rect>`,
      );
    });
    const words = g.split(' ');
    const rows = words.length > 1 ? [words[0], words.slice(1).join(' ')] : [g];
    rows.forEach((t, ri) =>
      out.push(`<text x="${gx + (S * barW) / 2}" y="${top + plotH + 16 + 14 * ri}" text-anchor="middle">${esc(t)}</text>`),
    );
  });
  chart.series.forEach((s, si) => {
    const ly = top + si * 18;
    out.push(`<rect x="${left + plotW + 16}" y="${ly}" width="12" height="12" fill="${hex(PALETTE[si % PALETTE.length])}"/>`);
    out.push(`<text x="${left + plotW + 34}" y="${ly + 11}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
