/**
 * KaTeX, loaded on demand (a dynamic import of this module: KaTeX and its CSS/fonts are ~270 KB, kept out of the
 * page chunk until an explainer first opens). Fonts and CSS are bundled by Vite from the katex package (no CDN).
 */
import katex from 'katex';
import 'katex/dist/katex.min.css';

/** HTML of one display equation (MathML included for screen readers); throws on invalid TeX. */
export function renderTex(tex: string): string {
  return katex.renderToString(tex, { displayMode: true, throwOnError: true, output: 'htmlAndMathml' });
}
