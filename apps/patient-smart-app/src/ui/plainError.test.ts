// Error messages for patients: a short sentence by HTTP status, then the server's explanation; network errors apart.
import { badRequest, forbidden, OperationOutcomeError } from '@medplum/core';
import { describe, expect, test } from 'vitest';
import { isNetworkError, plainError } from './plainError.ts';

describe('plainError', () => {
  test('OperationOutcomes: a sentence for the status, then the server’s diagnostics', () => {
    expect(plainError(new OperationOutcomeError(badRequest('Value 400 is outside 20–300')))).toBe(
      'This was not accepted. Value 400 is outside 20–300'
    );
    expect(plainError(new OperationOutcomeError(forbidden))).toMatch(/^You are not allowed to do this\./);
  });

  test('a network failure is told apart from an answer of the server', () => {
    expect(isNetworkError(new TypeError('Failed to fetch'))).toBe(true);
    expect(isNetworkError(new OperationOutcomeError(badRequest('x')))).toBe(false);
    expect(plainError(new TypeError('Failed to fetch'))).toBe(
      'No internet connection. Try again when you are back online.'
    );
    expect(plainError(new Error('boom'))).toBe('Something went wrong: boom');
  });
});
