import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Mode, round } from './common.ts';

export interface Figure {
  section: string;
  name: string;
  value: number;
  unit: string;
  /** The figure it is compared with, measured in the same run. */
  baseline?: { name: string; value: number; unit: string };
  /** value / baseline (or, for costs, baseline cost / this cost, as the name says). */
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}

export function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) model = line.split(':')[1]?.trim() ?? model;
  } catch {
    // Not Linux: os.cpus() said it.
  }
  return {
    nproc: cpus().length,
    cpu: model,
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** Everything one run measured: figures for the table, raw measurements for the JSON. */
export class Results {
  readonly figures: Figure[] = [];
  readonly raw: Record<string, unknown> & { loadAverage: { start: number[]; end?: number[] } } = {
    loadAverage: { start: [] },
  };
  readonly failures: Array<{ benchmark: string; error: string }> = [];

  add(figure: Figure): Figure {
    const f = { ...figure, value: round(figure.value, figure.value < 10 ? 3 : 1) };
    if (f.ratio !== undefined) f.ratio = round(f.ratio, 3);
    this.figures.push(f);
    return f;
  }

  write(mode: Mode, startedAt: Date, seconds: number): { json: string; md: string } {
    const doc = {
      mode: mode.name,
      startedAt: startedAt.toISOString(),
      seconds: round(seconds, 1),
      machine: machine(),
      figures: this.figures,
      failures: this.failures,
      raw: this.raw,
    };
    const json = fileURLToPath(new URL('./results.json', import.meta.url));
    const md = fileURLToPath(new URL('./results.md', import.meta.url));
    writeFileSync(json, `${JSON.stringify(doc, null, 2)}\n`);
    writeFileSync(md, this.markdown(doc));
    return { json, md };
  }

  markdown(doc: { mode: string; startedAt: string; seconds: number; machine: ReturnType<typeof machine> }) {
    const m = doc.machine;
    const lines = [
      `# Leasehold benchmark results (${doc.mode} run)`,
      '',
      `${doc.startedAt}, ${doc.seconds} s; ${m.nproc} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}.`,
      'Every ratio compares two figures measured in this same run. See docs/performance.md for the method.',
      '',
      '| section | figure | value | baseline (same run) | ratio | target | met |',
      '| --- | --- | ---: | --- | ---: | --- | --- |',
    ];
    for (const f of this.figures) {
      const base = f.baseline ? `${f.baseline.name}: ${fmt(f.baseline.value)} ${f.baseline.unit}` : '';
      const met = f.met === undefined ? '' : f.met ? 'met' : '**missed**';
      const name = f.note ? `${f.name} (${f.note})` : f.name;
      lines.push(
        `| ${f.section} | ${name} | ${fmt(f.value)} ${f.unit} | ${base} | ${f.ratio === undefined ? '' : fmt(f.ratio)} | ${f.target ?? ''} | ${met} |`,
      );
    }
    if (this.failures.length > 0) {
      lines.push('', '## Benchmarks that failed', '');
      for (const failure of this.failures) lines.push(`- ${failure.benchmark}: ${failure.error}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en-US') : String(value);
}
