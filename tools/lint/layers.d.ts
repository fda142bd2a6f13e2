/** Types of layers.js (plain JavaScript, so ESLint's config loads it without a build step). */
export const CORE_ORDER: readonly string[];
export const KNOWN_CYCLES: readonly string[];
export function layerProblem(from: string, to: string): string | null;
export function importCycles(): Map<string, string[]>;
export const layerRules: Record<string, unknown>;
