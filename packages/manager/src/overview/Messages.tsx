import type { StatusMessage } from '../api/types.ts';

const LEVEL_TEXT = { error: 'Error', warning: 'Warning', info: 'Note' } as const;

/** The server's information messages (S11): sync due or failed, licenses expiring. */
export function Messages({ messages }: { messages: StatusMessage[] }) {
  return (
    <section aria-labelledby="messages-title" className="messages">
      <h3 id="messages-title">Information</h3>
      {messages.length === 0 ? (
        <p className="hint">All is well: nothing needs your attention.</p>
      ) : (
        <ul id="messages">
          {messages.map((m) => (
            <li key={`${m.code}/${m.text}`} className={`message message-${m.level}`} data-code={m.code}>
              <strong>{LEVEL_TEXT[m.level]}:</strong> {m.text}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
