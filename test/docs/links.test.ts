/**
 * The documentation holds together: the README stays short enough to read to the end (the rest is in
 * docs/), and every relative link of README.md and docs/*.md reaches a file that exists and, with a
 * `#fragment`, a heading of that file, by GitHub's anchor rules.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The README's length limit, in lines. */
const README_MAX_LINES = 350;

const FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The lines of a Markdown text outside fenced code blocks. */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/**
 * GitHub's anchor for a heading (github-slugger): lowercased, every character but letters, marks, digits,
 * `_`, `-` and spaces removed, spaces turned into `-`; a repeated anchor gets `-1`, `-2`, … in order.
 */
function headingAnchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every link target (`[text](target)` and `![alt](target)`) outside code blocks and code spans. */
function linkTargets(text: string): string[] {
  return proseLines(text).flatMap((line) =>
    [...line.replace(/`[^`]*`/g, '').matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!),
  );
}

describe('README.md', () => {
  it(`is at most ${README_MAX_LINES} lines: what batchql is, the quick start, a tour, and links to docs/`, () => {
    const lines = read('README.md').trimEnd().split('\n').length;
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('links to every file of docs/', () => {
    const targets = new Set(linkTargets(read('README.md')).map((target) => target.split('#')[0]));
    for (const file of FILES.filter((f) => f.startsWith('docs/'))) expect(targets, file).toContain(file);
  });
});

describe('headingAnchors', () => {
  it("follows GitHub's rules: punctuation and code marks dropped, spaces to hyphens, repeats numbered", () => {
    const text = [
      '# Live progress',
      '## CPU per request: `npm run bench:cpu` and `npm run bench:cpu:upstream`',
      "## A token's lifetime holds on open streams",
      '## yoga on node:http, on Fastify, and no GraphQL',
      '## Two channels, one rule',
      '```sh',
      '# not a heading',
      '```',
      '### Two channels, one rule',
      '## snake_case stays',
    ].join('\n');
    expect([...headingAnchors(text)]).toEqual([
      'live-progress',
      'cpu-per-request-npm-run-benchcpu-and-npm-run-benchcpuupstream',
      'a-tokens-lifetime-holds-on-open-streams',
      'yoga-on-nodehttp-on-fastify-and-no-graphql',
      'two-channels-one-rule',
      'two-channels-one-rule-1',
      'snake_case-stays',
    ]);
  });
});

describe.each(FILES)('%s', (file) => {
  const targets = linkTargets(read(file)).filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));

  it.each(targets.length > 0 ? targets : ['(no relative links)'])('links to %s, which exists', (target) => {
    if (target === '(no relative links)') return;
    const [path = '', fragment] = target.split('#');
    const resolved = path === '' ? join(ROOT, file) : join(ROOT, dirname(file), decodeURI(path));
    const shown = relative(ROOT, resolved) || '.';
    expect(existsSync(resolved), `${file} links to ${target}: ${shown} does not exist`).toBe(true);
    if (fragment === undefined) return;
    expect(resolved.endsWith('.md'), `${file} links to ${target}: an anchor in a file that is not Markdown`).toBe(true);
    const anchors = headingAnchors(readFileSync(resolved, 'utf8'));
    expect([...anchors], `${file} links to ${target}: no heading #${fragment} in ${shown}`).toContain(fragment);
  });
});
