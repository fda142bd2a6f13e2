/**
 * The docs stay a map of this repository: every relative link in README.md, CHANGELOG.md and docs/**.md points at a
 * file or folder that exists inside the repo (and an anchor into a markdown file names one of its headings), nothing
 * links outside it (absolute paths,
 * file: URLs, `../` past the root), and no page speaks of tracker numbers ("issue 12"), which mean nothing to a
 * reader of the repo alone. Links inside code blocks and code spans are text, not links.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');

function markdownFiles(): string[] {
  const files = ['README.md', 'CHANGELOG.md'].filter((f) => existsSync(join(ROOT, f)));
  const walk = (dir: string) => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md')) files.push(p);
    }
  };
  if (existsSync(join(ROOT, 'docs'))) walk('docs');
  return files;
}

/** The text with fenced code blocks and inline code spans blanked (line numbers kept). */
function prose(md: string): string {
  return md
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/(`+)[^`\n]*?\1/g, (span) => ' '.repeat(span.length));
}

/** Link targets of a markdown text: inline links and images, reference definitions, HTML src / href. */
function linkTargets(md: string): { target: string; line: number }[] {
  const text = prose(md);
  const out: { target: string; line: number }[] = [];
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  const patterns = [
    /!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+["'(][^)]*)?\)/g,
    /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm,
    /<(?:a|img|source)\b[^>]*?\s(?:href|src)\s*=\s*["']([^"']+)["']/gi,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push({ target: m[1].replace(/^<|>$/g, ''), line: lineAt(m.index) });
  return out;
}

/** The anchors GitHub gives a markdown text's headings (lower case, punctuation dropped, spaces → '-', repeats -1, -2…). */
function headingAnchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

interface Repo {
  exists(abs: string): boolean;
  read(abs: string): string;
}
const DISK: Repo = { exists: existsSync, read: (abs) => readFileSync(abs, 'utf8') };

/** Why a link of `file` (repo-relative) is broken, or null when it is fine. */
function linkProblem(file: string, target: string, repo: Repo): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return /^file:/i.test(target) ? 'a file: URL points outside the repo' : null;
  if (target.startsWith('//')) return 'a protocol-relative URL';
  const path = decodeURI(target.replace(/[?#].*$/, ''));
  if (isAbsolute(path)) return 'an absolute path points outside the repo';
  // a reader of one page (and the project's own checks) takes ../ as leaving the repo: name the path in a code span
  if (/(^|\/)\.\.(\/|$)/.test(path)) return 'climbs out of its folder with ../ (write the repo path as `code` instead)';
  const abs = resolve(ROOT, dirname(file), path || basename(file));
  const rel = relative(ROOT, abs);
  if (rel.startsWith('..') || isAbsolute(rel)) return 'points outside the repo';
  if (!repo.exists(abs)) return `${rel} does not exist`;
  const anchor = /#(.+)$/.exec(target)?.[1];
  if (anchor && abs.endsWith('.md') && !headingAnchors(repo.read(abs)).has(decodeURIComponent(anchor).toLowerCase()))
    return `${rel} has no heading #${anchor}`;
  return null;
}

/** Every problem of one markdown text: broken links and tracker numbers, as "file:line: ..." lines. */
function problems(file: string, md: string, repo: Repo = DISK): string[] {
  const found: string[] = [];
  for (const { target, line } of linkTargets(md)) {
    const why = linkProblem(file, target, repo);
    if (why) found.push(`${file}:${line}: link "${target}": ${why}`);
  }
  md.split('\n').forEach((text, i) => {
    for (const m of text.matchAll(/\bissues?\s*#?\d+/gi)) found.push(`${file}:${i + 1}: "${m[0]}": say what and why, not a tracker number`);
    for (const m of text.matchAll(/(?:^|[\s(`'"])((?:\.\.\/)+shared\/[^\s`'")]*)/g))
      found.push(`${file}:${i + 1}: "${m[1]}" is outside the repo`);
  });
  return found;
}

describe('docs links', () => {
  const files = markdownFiles();

  it('finds the README and the docs folder', () => {
    expect(files).toContain('README.md');
    expect(files.some((f) => f.startsWith('docs/'))).toBe(true);
  });

  it.each(files)('%s: every relative link exists inside the repo, no tracker numbers', (file) => {
    expect(problems(file, readFileSync(join(ROOT, file), 'utf8'))).toEqual([]);
  });

  it('catches dead links, links out of the repo and tracker numbers (and leaves code and URLs alone)', () => {
    const md = [
      '# Page',
      'See [the CLI](cli.md#flags-and-outputs), [results](../results/), [a site](https://example.org/x), [top](#page).',
      '![shot](screenshot.png "title") and <img src="./missing.png">',
      '[dead](nope.md) [out](../../elsewhere.md) [abs](/etc/passwd) [file](file:///tmp/x)',
      '[ref]: ./gone.md',
      '[bad anchor](cli.md#nope) [bad self](#nowhere)',
      'fixed in issue 12, see ../shared/measurements.md',
      '`[not a link](nowhere.md)` and',
      '```',
      '[also not](nowhere.md)',
      '```',
    ].join('\n');
    const files: Record<string, string> = {
      'docs/cli.md': '# CLI\n\n## Flags and outputs\n',
      results: '',
      'docs/screenshot.png': '',
      'docs/page.md': md,
    };
    const repo: Repo = { exists: (abs) => relative(ROOT, abs) in files, read: (abs) => files[relative(ROOT, abs)] };
    const found = problems('docs/page.md', md, repo);
    expect(found.map((p) => p.replace(/^docs\/page\.md:\d+: /, '').replace(/:.*$/, ''))).toEqual([
      'link "../results/"',
      'link "nope.md"',
      'link "../../elsewhere.md"',
      'link "/etc/passwd"',
      'link "file',
      'link "cli.md#nope"',
      'link "#nowhere"',
      'link "./gone.md"',
      'link "./missing.png"',
      '"issue 12"',
      '"../shared/measurements.md" is outside the repo',
    ]);
    expect(found[0]).toMatch(/^docs\/page\.md:2: .*climbs out of its folder/);
    expect(found[1]).toMatch(/^docs\/page\.md:4: .*docs\/nope\.md does not exist/);
    expect(found[5]).toMatch(/cli\.md has no heading #nope/);
  });
});
