import type { Diagnosis } from '../api/types.ts';
import { useApi } from '../apiContext.ts';
import { ErrorBanner } from '../Banner.tsx';
import { PageHeading } from '../PageHeading.tsx';
import { useAction } from '../useAsync.ts';

const STATUS_TEXT = { passed: 'Passed', failed: 'Failed', skipped: 'Skipped' } as const;

/** Server → Diagnose (S9): each link to the central server, what passed and what to fix. */
export function DiagnoseView() {
  const api = useApi();
  const diagnose = useAction(() => api.get<Diagnosis>('/diagnose'));
  const result = diagnose.result;
  const anyFix = result?.steps.some((s) => s.fix) ?? false;
  return (
    <>
      <PageHeading intro="Checks each link to the central server in order: name lookup, ports 443 and 8080, proxy, TLS, protocol version, clock and binding. It changes nothing.">
        Diagnose
      </PageHeading>
      <div className="toolbar">
        <button
          type="button"
          className="primary"
          onClick={() => void diagnose.run()}
          disabled={diagnose.running}
        >
          {diagnose.running ? 'Checking…' : 'Run diagnosis'}
        </button>
      </div>
      <div aria-live="polite">
        {diagnose.running ? (
          <p className="progress-line">
            <progress aria-label="Diagnosing" /> Checking each link…
          </p>
        ) : null}
        {result ? (
          <p id="diagnose-summary" className={result.ok ? 'good' : 'bad'}>
            {result.ok
              ? 'Every link works: this server can synchronize online.'
              : 'A link is broken: see the failed step and its fix below.'}
          </p>
        ) : null}
      </div>
      <ErrorBanner error={diagnose.error} title="The diagnosis could not run" />
      {result ? (
        <table id="diagnose-steps" aria-label="Diagnosis steps">
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Result</th>
              <th scope="col">Detail</th>
              {anyFix ? <th scope="col">Fix</th> : null}
            </tr>
          </thead>
          <tbody>
            {result.steps.map((step) => (
              <tr key={step.step} className={`step-${step.status}`}>
                <th scope="row">{step.step}</th>
                <td>
                  <span className={`pill pill-${step.status}`}>{STATUS_TEXT[step.status]}</span>
                  {step.code ? (
                    <>
                      {' '}
                      <code>{step.code}</code>
                    </>
                  ) : null}
                </td>
                <td>{step.detail}</td>
                {anyFix ? <td>{step.fix ?? ''}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p className="hint">
        Same as <code>leasehold server diagnose</code>.
      </p>
    </>
  );
}
