/**
 * The offline sync page (S5, C2): upload a sync request file, download the response file. It runs
 * in the browser with no framework: the file is read locally and posted as text to /v1/sync/file.
 */
export const offlinePageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Leasehold — synchronize a license server by file</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; padding: 0 1rem; color: #1d232b; }
  h1 { font-size: 1.4rem; }
  ol li { margin-bottom: .5rem; }
  button { font: inherit; padding: .4rem 1rem; }
  #result { margin-top: 1.5rem; padding: 1rem; border-radius: 6px; display: none; }
  #result.ok { display: block; background: #e8f5e9; }
  #result.error { display: block; background: #fdecea; }
  code { background: #f1f3f5; padding: 0 .25rem; }
</style>
</head>
<body>
<h1>Synchronize a license server by file</h1>
<ol>
  <li>On the license server, run <code>leasehold server sync export --out request.txt</code>.</li>
  <li>Choose that file here and press <em>Get response file</em>.</li>
  <li>Carry the response file back and run <code>leasehold server sync import response.txt</code>.</li>
</ol>
<form id="form">
  <label for="request">Sync request file</label><br>
  <input id="request" name="request" type="file" accept=".txt,text/plain" required>
  <button id="submit" type="submit">Get response file</button>
</form>
<div id="result" role="status"></div>
<script>
  const form = document.getElementById('form');
  const result = document.getElementById('result');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = document.getElementById('request').files[0];
    if (!file) return;
    result.className = '';
    const answer = await fetch('/v1/sync/file', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: await file.text() });
    const text = await answer.text();
    if (!answer.ok) {
      let error = { code: 'CENTRAL_UNAVAILABLE', message: text };
      try { error = JSON.parse(text).error; } catch {}
      result.className = 'error';
      result.textContent = error.code + ': ' + error.message;
      return;
    }
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    link.download = 'leasehold-sync-response.txt';
    link.id = 'download';
    link.textContent = 'Download the response file';
    result.className = 'ok';
    result.replaceChildren('The response file is ready. ', link);
    link.click();
  });
</script>
</body>
</html>
`;
