import { describe, expect, it } from 'vitest';
import { centralConfigSchema } from './config.ts';

const base = {
  formatVersion: 1,
  storage: { kind: 'pglite' },
  plainHttp: true,
  adminTokenSha256: '0'.repeat(64),
};

describe('central.json', () => {
  it('trusts no proxy and limits 30 syncs a minute per id unless told otherwise', () => {
    expect(centralConfigSchema.parse(base)).toMatchObject({ trustProxy: [], syncRequestsPerMinutePerId: 30 });
  });

  it('takes proxy addresses and CIDRs of both families, and refuses anything else', () => {
    const good = ['10.0.0.5', '10.0.0.0/8', '0.0.0.0/0', 'fd00::/8', '::1', '2001:db8::1/128'];
    expect(centralConfigSchema.parse({ ...base, trustProxy: good }).trustProxy).toEqual(good);
    for (const bad of ['proxy.internal', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', '10.0.0.0/', '*']) {
      expect(centralConfigSchema.safeParse({ ...base, trustProxy: [bad] }).success, bad).toBe(false);
    }
  });
});
