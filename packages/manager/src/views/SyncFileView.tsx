import { type FormEvent, useRef, useState } from 'react';
import type { RequestFile, SyncResult } from '../api/types.ts';
import { useApi } from '../apiContext.ts';
import { ErrorBanner, SuccessBanner } from '../Banner.tsx';
import { downloadText } from '../download.ts';
import { dateTime, plural } from '../format.ts';
import type { ViewProps } from '../Layout.tsx';
import { PageHeading } from '../PageHeading.tsx';
import { useAction } from '../useAsync.ts';

/** Server → Sync via file (S5): a request file out, the vendor's response file in. */
export function SyncFileView({ reloadStatus }: ViewProps) {
  const api = useApi();
  const fileInput = useRef<HTMLInputElement>(null);
  const [pasted, setPasted] = useState('');
  const request = useAction(async () => {
    const answer = await api.post<RequestFile>('/sync/request-file');
    downloadText(answer.fileName, answer.file);
    return answer;
  });
  const importing = useAction(async (text: string) => {
    try {
      return await api.post<SyncResult>('/sync/response-file', { file: text });
    } finally {
      await reloadStatus();
    }
  });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const file = fileInput.current?.files?.[0];
    const text = file ? await file.text() : pasted;
    const result = await importing.run(text);
    if (result) {
      setPasted('');
      if (fileInput.current) fileInput.current.value = '';
    }
  };
  return (
    <>
      <PageHeading intro="For a server with no internet access: carry the request file to a computer that has it, hand it to the vendor's sync page, and bring the response file back.">
        Sync via file
      </PageHeading>
      <section className="card" aria-labelledby="step-1">
        <h3 id="step-1">1. Download a sync request file</h3>
        <p>Each request file is new and can be answered once.</p>
        <button
          type="button"
          className="primary"
          onClick={() => void request.run()}
          disabled={request.running}
        >
          {request.running ? 'Creating…' : 'Download request file'}
        </button>
        <ErrorBanner error={request.error} title="Could not create the request file" />
        {request.result ? (
          <SuccessBanner>
            <p id="request-result">
              Downloaded <code>{request.result.fileName}</code>. Upload it on the vendor's sync page, or send
              it to the vendor by e-mail.
            </p>
          </SuccessBanner>
        ) : null}
      </section>
      <form className="card" aria-labelledby="step-2" onSubmit={submit}>
        <h3 id="step-2">2. Import the response file</h3>
        <label htmlFor="response-file">Response file</label>
        <input id="response-file" ref={fileInput} type="file" accept=".txt,text/plain" />
        <label htmlFor="response-text">or paste its text</label>
        <textarea
          id="response-text"
          rows={5}
          spellCheck={false}
          value={pasted}
          onChange={(e) => setPasted(e.target.value)}
          placeholder="-----BEGIN LEASEHOLD SYNC RESPONSE-----"
        />
        <button type="submit" className="primary" disabled={importing.running}>
          {importing.running ? 'Importing…' : 'Import response'}
        </button>
        <ErrorBanner error={importing.error} title="The response file was refused" />
        {importing.result ? (
          <SuccessBanner>
            <p id="import-result">
              Synchronized by file at {dateTime(importing.result.syncedAt)}: allocation version{' '}
              {importing.result.allocationVersion}, {plural(importing.result.licenses, 'license')}.
            </p>
          </SuccessBanner>
        ) : null}
      </form>
      <p className="hint">
        Same as <code>leasehold server sync export --out FILE</code> and{' '}
        <code>leasehold server sync import FILE</code>; the vendor answers with{' '}
        <code>leasehold central sync respond</code>.
      </p>
    </>
  );
}
