// Error messages for clinicians: plain words by HTTP status, then the server's explanation.
import { badRequest, conflict, forbidden, OperationOutcomeError } from '@medplum/core';
import { describe, expect, test } from 'vitest';
import { plainError } from './plainError.ts';

describe('plainError', () => {
  test('OperationOutcomes: a sentence for the status, then the server’s diagnostics', () => {
    expect(plainError(new OperationOutcomeError(conflict('DetectedIssue/1 is closed (status final)')))).toBe(
      'Someone else has already changed this record. DetectedIssue/1 is closed (status final)'
    );
    expect(plainError(new OperationOutcomeError(forbidden))).toMatch(/^You are not allowed to do this\./);
    expect(plainError(new OperationOutcomeError(badRequest('Parameter "note" must not be empty')))).toBe(
      'The server did not accept what was sent. Parameter "note" must not be empty'
    );
  });

  test('a network failure and anything else', () => {
    expect(plainError(new TypeError('Failed to fetch'))).toBe(
      'The server could not be reached. Check the connection and try again.'
    );
    expect(plainError(new Error('boom'))).toBe('Something went wrong: boom');
  });
});
