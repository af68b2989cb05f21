import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ErrorCode, errorCatalogue, errorFromWire, errorReply, LeaseholdError } from './errors.ts';
import { renderErrorsDoc } from './errorsDoc.ts';

interface DocRow {
  code: string;
  status: number;
  message: string;
}

/** Splits a markdown table row on the `|` that are not escaped as `\\|` (the only escape the doc uses). */
function cellsOf(line: string): string[] {
  const cells: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '\\' && line[i + 1] === '|') {
      current += '|';
      i++;
    } else if (ch === '|') {
      cells.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  cells.push(current.trim());
  // A row starts and ends with `|`: drop the empty edges.
  return cells.slice(1, -1);
}

/** The rows of the one table in docs/errors.md, in document order. */
function readDocTable(): DocRow[] {
  const text = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const lines = text.split(/\r?\n/).filter((line) => line.trim().startsWith('|'));
  const [header, separator, ...body] = lines;
  expect(header && cellsOf(header)).toEqual(['Code', 'HTTP', 'Message (what to do)']);
  expect(separator && cellsOf(separator).every((cell) => /^:?-+:?$/.test(cell))).toBe(true);
  return body.map((line) => {
    const cells = cellsOf(line);
    expect(cells, `row ${line}`).toHaveLength(3);
    const [code = '', status = '', message = ''] = cells;
    return { code: code.replace(/^`(.*)`$/, '$1'), status: Number(status), message };
  });
}

const catalogue = Object.entries(errorCatalogue) as [ErrorCode, { status: number; message: string }][];

describe('docs/errors.md', () => {
  const rows = readDocTable();
  const documented = new Map(rows.map((row) => [row.code, row]));

  it('is exactly what `npm run docs:errors` writes from the catalogue', () => {
    expect(readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')).toBe(renderErrorsDoc());
  });

  it('lists each code only once', () => {
    expect(documented.size).toBe(rows.length);
  });

  it('lists every code of the catalogue', () => {
    const missing = catalogue.map(([code]) => code).filter((code) => !documented.has(code));
    expect(missing, 'codes in errors.ts but not in docs/errors.md').toEqual([]);
  });

  it('lists no code that the catalogue does not have', () => {
    const extra = rows.map((row) => row.code).filter((code) => !Object.hasOwn(errorCatalogue, code));
    expect(extra, 'codes in docs/errors.md but not in errors.ts').toEqual([]);
  });

  it('gives every code the status and the exact message of the catalogue', () => {
    const differences = catalogue.flatMap(([code, entry]) => {
      const row = documented.get(code);
      if (!row) return [];
      return row.status === entry.status && row.message === entry.message
        ? []
        : [{ code, catalogue: entry, doc: { status: row.status, message: row.message } }];
    });
    expect(differences).toEqual([]);
  });

  it('lists the codes in the order of the catalogue', () => {
    expect(rows.map((row) => row.code)).toEqual(catalogue.map(([code]) => code));
  });
});

describe('the error catalogue', () => {
  it('spells every code in UPPER_SNAKE_CASE', () => {
    const bad = catalogue
      .map(([code]) => code)
      .filter((code) => !/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/.test(code));
    expect(bad).toEqual([]);
  });

  it('gives every code a 4xx or 5xx status', () => {
    const bad = catalogue.filter(
      ([, entry]) => !(Number.isInteger(entry.status) && entry.status >= 400 && entry.status <= 599),
    );
    expect(bad).toEqual([]);
  });

  it('ends every message with a period or a closing parenthesis', () => {
    const bad = catalogue.filter(([, entry]) => !/[.)]$/.test(entry.message));
    expect(bad).toEqual([]);
  });

  it('makes every message long enough to say what to do', () => {
    const bad = catalogue.filter(([, entry]) => entry.message.length < 30);
    expect(bad).toEqual([]);
  });
});

describe('LeaseholdError', () => {
  it('carries the code, the status and a message that contains the detail', () => {
    const error = new LeaseholdError('SERVER_ID_IN_USE', 'detail');
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('SERVER_ID_IN_USE');
    expect(error.status).toBe(errorCatalogue.SERVER_ID_IN_USE.status);
    expect(error.message).toContain(errorCatalogue.SERVER_ID_IN_USE.message);
    expect(error.message).toContain('detail');
  });

  it('uses the catalogue message unchanged when there is no detail', () => {
    expect(new LeaseholdError('NOT_SYNCHRONIZED').message).toBe(errorCatalogue.NOT_SYNCHRONIZED.message);
  });
});

describe('errorFromWire', () => {
  it('round-trips what toJSON produces', () => {
    const original = new LeaseholdError('COMPONENTS_NOT_LICENSED', 'Base, Export', { missing: ['Export'] });
    const rebuilt = errorFromWire(JSON.parse(JSON.stringify({ error: original.toJSON() })));
    expect(rebuilt).toBeInstanceOf(LeaseholdError);
    expect(rebuilt?.code).toBe(original.code);
    expect(rebuilt?.status).toBe(original.status);
    expect(rebuilt?.message).toBe(original.message);
    expect(rebuilt?.details).toEqual({ missing: ['Export'] });
    expect(rebuilt?.toJSON()).toEqual(original.toJSON());
  });

  it('round-trips an error without details', () => {
    const original = new LeaseholdError('CLOCK_SKEW');
    expect(errorFromWire({ error: original.toJSON() })?.toJSON()).toEqual(original.toJSON());
  });

  it('returns undefined for bodies that are not Leasehold errors', () => {
    for (const garbage of [null, undefined, 'error', 42, {}, { error: null }, { error: { code: 'NOPE' } }]) {
      expect(errorFromWire(garbage), JSON.stringify(garbage)).toBeUndefined();
    }
  });
});

describe('errorReply', () => {
  it('answers a LeaseholdError with its own status and body', () => {
    const error = new LeaseholdError('NO_SEATS_AVAILABLE', 'Base');
    const reply = errorReply(error);
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({ error: error.toJSON() });
    expect(reply.unexpected).toBe(false);
  });

  it('answers a fastify validation error with 400 INVALID_INPUT', () => {
    const reply = errorReply({ validation: [], statusCode: 400, message: 'x' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe('INVALID_INPUT');
    expect(reply.body.error.message).toContain('x');
    expect(reply.unexpected).toBe(false);
  });

  it('answers a body that is too large with 413 MESSAGE_TOO_LARGE', () => {
    const reply = errorReply({ statusCode: 413 });
    expect(reply.status).toBe(413);
    expect(reply.body.error.code).toBe('MESSAGE_TOO_LARGE');
    expect(reply.unexpected).toBe(false);
  });

  it('answers a plain Error with 500 INTERNAL, flagged unexpected, without leaking its message', () => {
    const reply = errorReply(new Error('secret stack detail'));
    expect(reply.status).toBe(500);
    expect(reply.body.error.code).toBe('INTERNAL');
    expect(reply.body.error.message).not.toContain('secret stack detail');
    expect(reply.unexpected).toBe(true);
  });
});
