import { type Diagnosis, diagnoseLocalServer, type StepResult } from '@leasehold/server';
import type { Command } from 'commander';
import type { Environment } from '../environment.ts';
import { setExitCode, stderr } from '../io.ts';
import { print } from '../output.ts';
import { dataDirOption, type Json, jsonOption, withServer } from './serverContext.ts';
import { action } from './shared.ts';

const LABEL: Record<string, string> = {
  dns: 'DNS',
  tls: 'TLS',
  protocol: 'protocol',
  clock: 'clock',
  binding: 'binding',
};
const labelOf = (step: string) => LABEL[step] ?? step.replace(/^tcp:/, 'TCP ');

function describeStep(s: StepResult): string[] {
  const lines = [`  ${s.status.padEnd(8)} ${labelOf(s.step).padEnd(10)} ${s.detail}`];
  // The code first, as `error CODE: message` elsewhere, so an administrator can search for it.
  if (s.status === 'failed' && (s.code || s.fix)) {
    lines.push(`${' '.repeat(22)}${s.code ? `${s.code}: ` : 'fix: '}${s.fix ?? ''}`);
  }
  return lines;
}

export function describeDiagnosis(d: Diagnosis): string {
  const ports = d.steps.filter((s) => s.step.startsWith('tcp:')).map((s) => s.step.slice(4));
  const lines = [
    `diagnosis of ${d.licenseServerId}: ${d.centralUrl}, ports ${ports.join(', ')}${d.proxy ? `, through the proxy ${d.proxy}` : ''}`,
    ...d.steps.flatMap(describeStep),
  ];
  const failures = d.steps.filter((s) => s.status === 'failed').length;
  lines.push(failures === 0 ? 'every step passed' : `${failures} step(s) failed`);
  return lines.join('\n');
}

/** `server diagnose` (S9): each link to the central server, passed / failed / skipped, with the fix. */
export function registerDiagnoseCommand(server: Command, env: Environment): void {
  server
    .command('diagnose')
    .description(
      'check each link to the central server (DNS, TCP 443/8080, proxy, TLS, protocol, clock, binding); changes nothing',
    )
    .addOption(dataDirOption(env))
    .addOption(jsonOption())
    .action(
      action(async (o: Json) => {
        const diagnosis = await withServer(env, o.dataDir, (s) => diagnoseLocalServer(s, env.clock));
        print(o, diagnosis, () => describeDiagnosis(diagnosis));
        const failed = diagnosis.steps.filter((s) => s.status === 'failed');
        if (failed.length > 0) {
          // Scripts read the codes here; the report above stays one document with --json.
          const names = failed.map((s) => (s.code ? `${s.step} (${s.code})` : s.step));
          stderr().write(`diagnose: ${failed.length} step(s) failed: ${names.join(', ')}\n`);
          setExitCode(1);
        }
      }),
    );
}
