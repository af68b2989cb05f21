import { type Dirent, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Rule ids are the one reference to the product contract a reader can follow: every id that code,
 * tests or docs cite must be a rule of docs/spec.md, and nothing may cite a tracker's issue number
 * instead (the number says nothing to someone reading the file).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.git']);

function filesUnder(folder: string, keep: (name: string) => boolean): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(ROOT, folder), { withFileTypes: true });
  } catch {
    return []; // a package without that folder
  }
  const found: string[] = [];
  for (const entry of entries) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!SKIPPED_FOLDERS.has(entry.name)) found.push(...filesUnder(path, keep));
    } else if (keep(entry.name)) {
      found.push(path);
    }
  }
  return found;
}

const isSource = (name: string) => /\.tsx?$/.test(name) && !name.endsWith('.d.ts');
const isMarkdown = (name: string) => name.endsWith('.md');

/** Every source and doc file that may cite the spec, as paths from the repository root. */
function citingFiles(): string[] {
  const packages = readdirSync(join(ROOT, 'packages')).filter((name) => !SKIPPED_FOLDERS.has(name));
  return [
    ...packages.flatMap((pkg) => [
      ...filesUnder(`packages/${pkg}/src`, isSource),
      ...filesUnder(`packages/${pkg}/test`, isSource),
      ...(existsSync(join(ROOT, `packages/${pkg}/README.md`)) ? [`packages/${pkg}/README.md`] : []),
    ]),
    ...filesUnder('test', isSource),
    ...filesUnder('bench', isSource),
    ...filesUnder('scripts', isSource),
    ...readdirSync(join(ROOT, 'docs'))
      .filter(isMarkdown)
      .map((name) => `docs/${name}`),
    'README.md',
  ].sort();
}

const ID = String.raw`[SLMC]\d{1,2}`;
// An id on its own: not part of a longer word or number (S256, CSS), nor a property (L1.number).
const ID_TOKEN = new RegExp(String.raw`(?<![\w.$#])(${ID})(?![\w$]|\.\w)`, 'g');
// A range such as M1–M4 cites every rule in it.
const ID_RANGE = /(?<![\w.$#])([SLMC])(\d{1,2})\s*[–-]\s*\1(\d{1,2})(?![\w$])/g;
// Comments and markdown are prose: every id in them counts. In code, an id counts where it reads as
// a citation: in a parenthesis of prose ("(S8)", "(fuzz, S8)", "(S5: 443, then 8080)", not a call's
// arguments such as "row(at, L1, 'Base')"), or after "SPEC" / "spec.md".
const PROSE_PARENTHESIS = /(?<=^|[\s'"`])\(([^()=[\]{}\n]*)\)/g;
const AFTER_SPEC = new RegExp(
  String.raw`\b(?:SPEC|spec(?:\.md)?)[\s:,]+(${ID}(?:(?:\s*[,/–-]\s*|\s+and\s+)${ID})*)`,
  'g',
);
const COMMENT_LINE = /^\s*(?:\/\/|\/\*|\*|--\s|\{\/\*)/;
const TRAILING_COMMENT = /\s\/\/\s(.*)$/;
const SPEC_ANCHOR = /spec\.md#([a-z0-9-]+)/g;
const ISSUE_NUMBER = /\bissues?\s+#?\d+/gi;

function idsIn(text: string): string[] {
  const ids = [...text.matchAll(ID_TOKEN)].map((m) => m[1] as string);
  for (const [, letter, from, to] of text.matchAll(ID_RANGE)) {
    for (let n = Number(from) + 1; n < Number(to); n++) ids.push(`${letter}${n}`);
  }
  return ids;
}

/** The rule ids one line cites; `markdown` lines are prose, so every id in them counts. */
function citedIds(line: string, markdown: boolean): string[] {
  if (markdown || COMMENT_LINE.test(line)) return idsIn(line);
  const trailing = TRAILING_COMMENT.exec(line);
  const code = trailing ? line.slice(0, trailing.index) : line;
  return [
    ...(trailing ? idsIn(trailing[1] as string) : []),
    ...[...code.matchAll(PROSE_PARENTHESIS)].flatMap((m) => idsIn(m[1] as string)),
    ...[...code.matchAll(AFTER_SPEC)].flatMap((m) => idsIn(m[1] as string)),
  ];
}

interface Citation {
  where: string;
  id: string;
}

/** Every line of every citing file, numbered, with fenced code blocks of markdown left out. */
function linesOf(path: string): Array<{ where: string; text: string; markdown: boolean }> {
  const markdown = isMarkdown(path);
  let fenced = false;
  const lines: Array<{ where: string; text: string; markdown: boolean }> = [];
  readFileSync(join(ROOT, path), 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (markdown && /^\s*(```|~~~)/.test(text)) fenced = !fenced;
      else if (!fenced) lines.push({ where: `${path}:${i + 1}`, text, markdown });
    });
  return lines;
}

function citations(files: string[]): { ids: Citation[]; anchors: Citation[]; issues: Citation[] } {
  const ids: Citation[] = [];
  const anchors: Citation[] = [];
  const issues: Citation[] = [];
  for (const path of files) {
    for (const { where, text, markdown } of linesOf(path)) {
      for (const id of citedIds(text, markdown)) ids.push({ where, id });
      for (const m of text.matchAll(SPEC_ANCHOR)) anchors.push({ where, id: m[1] as string });
      for (const m of text.matchAll(ISSUE_NUMBER)) issues.push({ where, id: m[0] });
    }
  }
  return { ids, anchors, issues };
}

const SPEC = readFileSync(join(ROOT, 'docs/spec.md'), 'utf8');
const DEFINED = [...SPEC.matchAll(/^### ([SLMC]\d{1,2})\. /gm)].map((m) => m[1] as string);
const ANCHORS = new Set([...SPEC.matchAll(/<a id="([a-z0-9-]+)"><\/a>/g)].map((m) => m[1] as string));

describe('docs/spec.md', () => {
  it('keeps every rule of the product spec, in its order, each under its own anchor', () => {
    const rules = (letter: string, from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => `${letter}${from + i}`);
    expect(DEFINED).toEqual([
      ...rules('S', 1, 12),
      ...rules('L', 0, 9),
      ...rules('M', 1, 5),
      ...rules('C', 1, 5),
    ]);
    const unanchored = DEFINED.filter(
      (id) => !SPEC.includes(`<a id="${id.toLowerCase()}"></a>\n### ${id}. `),
    );
    expect(unanchored).toEqual([]);
    expect(ANCHORS.has('cli')).toBe(true);
  });
});

describe('references to the spec', () => {
  const files = citingFiles();
  const found = citations(files);

  it('reads the sources and docs it should', () => {
    expect(files).toContain('docs/spec.md');
    expect(files).toContain('packages/server/src/leases/engine.ts');
    expect(files.some((path) => /(^|\/)(node_modules|dist)\//.test(path))).toBe(false);
    expect(new Set(found.ids.map((c) => c.id)).size).toBeGreaterThan(20);
  });

  it('cite only rules docs/spec.md defines', () => {
    const defined = new Set(DEFINED);
    const undefinedIds = found.ids.filter((c) => !defined.has(c.id)).map((c) => `${c.where}: ${c.id}`);
    expect(undefinedIds).toEqual([]);
  });

  it('link only to anchors docs/spec.md has', () => {
    const missing = found.anchors.filter((c) => !ANCHORS.has(c.id)).map((c) => `${c.where}: #${c.id}`);
    expect(missing).toEqual([]);
  });

  it('never stand in for an issue number: cite the rule or the docs section instead', () => {
    expect(found.issues.map((c) => `${c.where}: "${c.id}"`)).toEqual([]);
  });
});

describe('citedIds', () => {
  const bogus = `S${90 + 9}`;

  it('finds ids cited in comments, prose parentheses, after "SPEC" and in markdown', () => {
    expect(citedIds(' * S1 and S10 before any license is issued', false)).toEqual(['S1', 'S10']);
    expect(citedIds(`// ${bogus}: a rule nobody wrote`, false)).toEqual([bogus]);
    expect(citedIds("describe('ports tried in order (S5: 443, then 8080)', () => {", false)).toEqual(['S5']);
    expect(citedIds("  summary: 'force-release a floating lease (fuzz, L6)',", false)).toEqual(['L6']);
    expect(citedIds("const x = 1; // the Manager's view, M2", false)).toEqual(['M2']);
    expect(citedIds("const why = 'as spec.md S3 and S4 say';", false)).toEqual(['S3', 'S4']);
    expect(citedIds('The Manager (SPEC M1–M4, S6).', true)).toEqual(['M1', 'M4', 'S6', 'M2', 'M3']);
  });

  it('leaves alone what only looks like an id', () => {
    expect(citedIds("row('2026-03-01T09:00:00Z', L1, 'Base', 3),", false)).toEqual([]);
    expect(
      citedIds('expect(rows.filter((r) => r.licenseNumber === L1.number)).toHaveLength(1);', false),
    ).toEqual([]);
    expect(citedIds("const icon = '<path d=\"M5 3v10h6\"/>'; fetch('http://x/S3')", false)).toEqual([]);
    expect(citedIds('a SHA-256 (S256 PKCE) or CSS, L1.number', true)).toEqual([]);
  });
});
