/**
 * Summarizes V8 CPU profiles (from `npm run bench -- --profile`, or any `node --cpu-prof`):
 * `node --import tsx bench/profile.ts bench/profiles/renew.cpuprofile [top]` prints the functions with
 * the most self time, and the same grouped by package or source file.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Groups a script URL: a package under node_modules, a workspace source file, or Node's internals. */
export function groupOf(url: string): string {
  if (!url) return '(native / idle)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const pkg = url.indexOf('/packages/');
  if (pkg >= 0) return url.slice(pkg + 1);
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^file:\/\//, '');
}

export function summarize(profile: Profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n: ProfileNode) => n.callFrame.functionName || '(anonymous)';
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((s, v) => s + v, 0);
  const byFunction = new Map<string, number>();
  const byGroup = new Map<string, number>();
  const byStack = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    // The function and four callers: tells apart the anonymous functions of one transformed file.
    const chain: string[] = [];
    for (let cur: number | undefined = id, k = 0; cur !== undefined && k < 5; cur = parent.get(cur), k++) {
      const n = byId.get(cur);
      if (n) chain.push(name(n));
    }
    const stack = chain.join(' < ');
    byStack.set(stack, (byStack.get(stack) ?? 0) + us);
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.split('/').slice(-2).join('/');
    const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const group = groupOf(url);
    byGroup.set(group, (byGroup.get(group) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 1000),
        percent: Math.round((1000 * us) / total) / 10,
      }));
  return {
    totalMs: Math.round(total / 1000),
    functions: rank(byFunction),
    groups: rank(byGroup),
    stacks: rank(byStack),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node --import tsx bench/profile.ts FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(top ?? 25));
  process.stdout.write(`${file}: ${s.totalMs} ms sampled\n\nself time by function\n`);
  for (const f of s.functions) process.stdout.write(`${String(f.percent).padStart(6)} %  ${f.name}\n`);
  process.stdout.write('\nself time by function and its callers\n');
  for (const f of s.stacks) process.stdout.write(`${String(f.percent).padStart(6)} %  ${f.name}\n`);
  process.stdout.write('\nself time by package or file\n');
  for (const g of s.groups) process.stdout.write(`${String(g.percent).padStart(6)} %  ${g.name}\n`);
}
