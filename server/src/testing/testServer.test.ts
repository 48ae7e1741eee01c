// The test server's admin client stays usable past its token's lifetime (files that shorten it run long on busy CI).
import { expect, test } from 'vitest';
import { useTestServer } from './testServer.ts';

const ctx = useTestServer({ RPM_ACCESS_TOKEN_TTL: '6' });

test('ctx.api and ctx.medplum still work after the first admin token expired', async () => {
  const first = ctx.medplum.getAccessToken();
  await new Promise((resolve) => setTimeout(resolve, 8_000));
  expect(ctx.medplum.getAccessToken()).not.toBe(first);
  expect((await ctx.api('Patient?_count=1')).status).toBe(200);
  expect((await ctx.medplum.search('Patient', { _count: '1' })).resourceType).toBe('Bundle');
});
