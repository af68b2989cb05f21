import { errorCatalogue } from './errors.ts';

/** docs/errors.md, made from the catalogue so the two cannot drift (`npm run docs:errors` writes it). */
export function renderErrorsDoc(): string {
  const rows = Object.entries(errorCatalogue).map(
    ([code, { status, message }]) => `| \`${code}\` | ${status} | ${message.replaceAll('|', '\\|')} |`,
  );
  return `# Error codes

Every failure carries a stable code, an HTTP status and a message that names the likely cause and
the fix. Codes are never reused for another meaning.

- The CLI prints \`error CODE: message\` on stderr and exits non-zero; with \`--json\` it also prints
  \`{ "error": { "code", "message" } }\` on stdout.
- The HTTP APIs answer \`{ "error": { "code", "message", "details"? } }\` with the status below.
- A message may end with a detail in parentheses (which id, which port, which field).

This page is generated from \`packages/protocol/src/errors.ts\` by \`npm run docs:errors\`; a test
fails when the two differ.

| Code | HTTP | Message (what to do) |
| --- | --- | --- |
${rows.join('\n')}
`;
}
