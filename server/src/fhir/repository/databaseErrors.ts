// Turns PostgreSQL errors into FHIR OperationOutcome errors with the right HTTP status.
import { badRequest, conflict, OperationOutcomeError, serverError } from '@medplum/core';
import { outcomeWithStatus } from '../../http/outcomes.ts';

/** PostgreSQL SQLSTATE codes we can explain to a client. */
const CLIENT_ERRORS: Record<string, (message: string) => OperationOutcomeError> = {
  '23505': () =>
    new OperationOutcomeError(conflict('A resource with this id was written concurrently; retry the request')),
  '40001': () => new OperationOutcomeError(conflict('Concurrent update; retry the request')),
  '40P01': () => new OperationOutcomeError(conflict('Concurrent update; retry the request')),
  '22P02': (m) => new OperationOutcomeError(badRequest(`Invalid value: ${m}`)),
  '22007': (m) => new OperationOutcomeError(badRequest(`Invalid date: ${m}`)),
  '22008': (m) => new OperationOutcomeError(badRequest(`Date out of range: ${m}`)),
  '22003': (m) => new OperationOutcomeError(badRequest(`Number out of range: ${m}`)),
  '22021': () => new OperationOutcomeError(badRequest('Invalid character in input')),
  '54000': () => new OperationOutcomeError(badRequest('Value too large to index')),
};

/** The database cannot be reached or is shutting down: the client may retry later (503). */
function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string') {
    // connection exceptions, admin/crash shutdown, cannot connect now, database gone, refused
    return code.startsWith('08') || ['57P01', '57P02', '57P03', '3D000', 'ECONNREFUSED', 'ECONNRESET'].includes(code);
  }
  // node-postgres reports a connection closed under it without a code.
  return err instanceof Error && /Connection terminated/i.test(err.message);
}

/** Leaves OperationOutcomeErrors alone; maps known database errors; anything else is a server error. */
export function toOperationOutcomeError(err: unknown): OperationOutcomeError {
  if (err instanceof OperationOutcomeError) {
    return err;
  }
  if (isDatabaseUnavailable(err)) {
    return new OperationOutcomeError(
      outcomeWithStatus(503, 'transient', 'The database is unavailable; retry shortly'),
      {
        cause: err,
      }
    );
  }
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && CLIENT_ERRORS[code]) {
    return CLIENT_ERRORS[code]((err as Error).message);
  }
  return new OperationOutcomeError(serverError(err instanceof Error ? err : new Error(String(err))), { cause: err });
}
