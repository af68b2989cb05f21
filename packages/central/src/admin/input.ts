import { describeIssues, LeaseholdError } from '@leasehold/protocol';
import type { z } from 'zod';

/** Validates an operation's input; every problem is reported at once, with its field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw new LeaseholdError('INVALID_INPUT', issues.join('; '), { issues });
  }
  return parsed.data;
}
