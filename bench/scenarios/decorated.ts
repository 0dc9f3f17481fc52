import type { Case } from '../suite.js';

/** The decorated-method case, or why it is missing. */
export interface DecoratedCases {
  cases: Case[];
  todo?: string;
  close: () => Promise<void>;
}

/**
 * TODO(bench): `@WithS3Lock` (lib/decorators, issue 3) is not on main yet. When it is, build a
 * Nest application context with `S3LockModule.forRoot({ client })` on a counted client and a
 * provider with one decorated method, and return a case that calls it.
 */
export async function decoratedCases(_prefix: string): Promise<DecoratedCases> {
  return {
    cases: [],
    todo: 'TODO: @WithS3Lock is not on main yet (lib/decorators, issue 3); not measured',
    close: async () => {},
  };
}
