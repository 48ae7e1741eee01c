// Seeding the admin client: idempotent, secret stored hashed, a changed secret takes effect on every running instance.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../config.ts';
import { createPool } from '../db/pool.ts';
import { findClient, seedAdminClient } from './clients.ts';
import { hashClientSecret, verifyClientSecret } from './clientSecret.ts';
import { basicAuth, postToken, startAuthTestServer, uniqueId, type AuthTestServer } from './testServer.ts';

describe('client secrets', () => {
  test('hash and verify; anything but a matching scrypt hash is refused', async () => {
    const stored = await hashClientSecret('s3cret');
    expect(stored).toMatch(/^scrypt\$[\w-]+\$[\w-]+$/);
    expect(stored).not.toContain('s3cret');
    expect(await verifyClientSecret('s3cret', stored)).toBe(true);
    expect(await verifyClientSecret('S3cret', stored)).toBe(false);
    expect(await verifyClientSecret('s3cret', 's3cret')).toBe(false);
    expect(await verifyClientSecret('s3cret', undefined)).toBe(false);
    expect(await verifyClientSecret('s3cret', 'scrypt$abc$def')).toBe(false);
  });
});

describe('seedAdminClient', () => {
  const pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 2);
  const adminId = uniqueId('seeded');
  let server: AuthTestServer;

  beforeAll(async () => {
    server = await startAuthTestServer({ RPM_ADMIN_CLIENT_ID: adminId, RPM_ADMIN_CLIENT_SECRET: 'first-secret' });
  });
  afterAll(async () => {
    await server.close();
    await pool.end();
  });

  test('creates once, then leaves the client untouched', async () => {
    const config = loadConfig({ RPM_ADMIN_CLIENT_ID: uniqueId('fresh'), RPM_ADMIN_CLIENT_SECRET: 'fresh-secret' });
    expect(await seedAdminClient(pool, config)).toBe('created');
    const before = await pool.query('SELECT metadata, updated_at FROM oauth_client WHERE client_id = $1', [
      config.adminClientId,
    ]);
    expect(await seedAdminClient(pool, config)).toBe('unchanged');
    const after = await pool.query('SELECT metadata, updated_at FROM oauth_client WHERE client_id = $1', [
      config.adminClientId,
    ]);
    expect(after.rows).toEqual(before.rows);

    const stored = await findClient(pool, config.adminClientId);
    expect(stored).toMatchObject({ grant_types: ['client_credentials'], fhir_scopes: 'system/*.* system/*.cruds' });
    expect(JSON.stringify(stored)).not.toContain('fresh-secret');
  });

  test('a changed secret replaces the old one, also for an instance already running', async () => {
    const form = { grant_type: 'client_credentials', scope: 'system/*.rs' };
    expect((await postToken(server.tokenUrl, form, basicAuth(adminId, 'first-secret'))).status).toBe(200);

    // Another instance (or a restart) with the new configuration.
    const rotated = loadConfig({ RPM_ADMIN_CLIENT_ID: adminId, RPM_ADMIN_CLIENT_SECRET: 'second-secret' });
    expect(await seedAdminClient(pool, rotated)).toBe('updated');
    expect(await seedAdminClient(pool, rotated)).toBe('unchanged');

    const old = await postToken(server.tokenUrl, form, basicAuth(adminId, 'first-secret'));
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
    expect((await postToken(server.tokenUrl, form, basicAuth(adminId, 'second-secret'))).status).toBe(200);
  });
});
