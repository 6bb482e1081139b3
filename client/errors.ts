// Errors the service layer raises, each with a code the API puts in `extensions.code`.
import type { SpecProblem } from '../core/spec/problem';

export type ErrorCode = 'BAD_SPEC' | 'BAD_INPUT' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'BAD_STATE' | 'UNAVAILABLE' | 'UNAUTHENTICATED' | 'FORBIDDEN';

export class SluiceError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly problems?: SpecProblem[]) {
    super(message);
    this.name = 'SluiceError';
  }
}
