import { describe, expect, it } from 'vitest';
import { machineFingerprint } from './machine.ts';

describe('machineFingerprint (L3)', () => {
  it('is the same for one machine and product, 43 base64url characters, and never the raw id', () => {
    const id = '3d1219c7c4e44c51a0a0c9e0f7b1a2b3';
    const a = machineFingerprint(id, 'Example CAD');
    expect(a).toBe(machineFingerprint(`${id}\n`, 'Example CAD'));
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toContain(id.slice(0, 8));
  });

  it('differs between machines and between products, so two vendors cannot link a machine', () => {
    const id = '3d1219c7c4e44c51a0a0c9e0f7b1a2b3';
    expect(machineFingerprint(id, 'Example CAD')).not.toBe(machineFingerprint(id, 'Other Product'));
    expect(machineFingerprint(id, 'Example CAD')).not.toBe(
      machineFingerprint('3d1219c7c4e44c51a0a0c9e0f7b1a2b4', 'Example CAD'),
    );
  });
});
