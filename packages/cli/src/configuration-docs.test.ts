import { readFileSync } from 'node:fs';
import { centralConfigSchema } from '@leasehold/central';
import { serverConfigSchema } from '@leasehold/server';
import { describe, expect, it } from 'vitest';

const docs = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
const environment = readFileSync(new URL('./environment.ts', import.meta.url), 'utf8');

describe('docs/configuration.md', () => {
  it('documents every setting of central.json and server.json', () => {
    for (const key of [...Object.keys(centralConfigSchema.shape), ...Object.keys(serverConfigSchema.shape)]) {
      expect(docs, key).toMatch(new RegExp(`\\|\\s*\`${key}\`\\s*\\|`));
    }
  });

  it('documents every environment variable the program reads', () => {
    const read = [...environment.matchAll(/env\.(LEASEHOLD_[A-Z_]+)/g)].map((m) => m[1] as string);
    expect(read.length).toBeGreaterThan(0);
    for (const name of read) expect(docs, name).toContain(`\`${name}\``);
  });
});
