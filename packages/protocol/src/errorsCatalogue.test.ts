import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCatalogue, errorFromWire, errorReply, LeaseholdError } from './errors.ts';
import { renderErrorsDoc } from './errorsDoc.ts';

describe('the error catalogue', () => {
  it('is what docs/errors.md lists (run `npm run docs:errors` after changing a code)', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderErrorsDoc());
  });

  it('has UPPER_SNAKE_CASE codes, 4xx/5xx statuses and messages that say what to do', () => {
    for (const [code, { status, message }] of Object.entries(errorCatalogue)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(message.length, code).toBeGreaterThanOrEqual(30);
      expect(message, code).toMatch(/[.)]$/);
    }
  });

  it('carries code, status and the detail in the message', () => {
    const error = new LeaseholdError('SERVER_ID_IN_USE', 'LS-AAAA-BBBB-CCCC');
    expect(error).toMatchObject({ code: 'SERVER_ID_IN_USE', status: 409 });
    expect(error.message).toContain('(LS-AAAA-BBBB-CCCC)');
    expect(error.message).toContain('clear the binding');
  });

  it('rebuilds an error from the wire and ignores what is not one', () => {
    const wire = { error: new LeaseholdError('RESPONSE_STALE', 'v3').toJSON() };
    const rebuilt = errorFromWire(JSON.parse(JSON.stringify(wire)));
    expect(rebuilt).toMatchObject({ code: 'RESPONSE_STALE', status: 409, message: wire.error.message });
    for (const garbage of [null, {}, 'text', { error: { code: 'NOPE' } }, { error: { code: 'toString' } }]) {
      expect(errorFromWire(garbage)).toBeUndefined();
    }
  });

  it('maps any thrown error to a reply with a catalogue code', () => {
    expect(errorReply(new LeaseholdError('NOT_SYNCHRONIZED'))).toMatchObject({
      status: 403,
      unexpected: false,
    });
    expect(errorReply({ validation: [], statusCode: 400, message: 'x' }).body.error.code).toBe(
      'INVALID_INPUT',
    );
    expect(errorReply({ statusCode: 413, message: 'too big' })).toMatchObject({
      status: 413,
      body: { error: { code: 'MESSAGE_TOO_LARGE' } },
    });
    expect(errorReply(new Error('boom'))).toMatchObject({
      status: 500,
      unexpected: true,
      body: { error: { code: 'INTERNAL' } },
    });
  });
});
