// The PostgreSQL adapter keeps oidc-provider's contract: upsert/find, expiry, consume, destroy, grant revocation, lookups.
import { afterAll, describe, expect, test } from 'vitest';
import { createPool } from '../db/pool.ts';
import { createPostgresAdapter, pruneExpiredPayloads } from './postgresAdapter.ts';
import { uniqueId } from './testServer.ts';

describe('postgres adapter', () => {
  const pool = createPool(process.env.RPM_TEST_DATABASE_URL as string, 2);
  const adapterFor = createPostgresAdapter(pool);
  afterAll(() => pool.end());

  test('upsert then find returns the payload; upsert again replaces it', async () => {
    const tokens = adapterFor('AccessToken');
    const id = uniqueId('at');
    await tokens.upsert(id, { jti: id, kind: 'AccessToken', clientId: 'c1', scope: 'system/*.rs' }, 60);
    expect(await tokens.find(id)).toEqual({ jti: id, kind: 'AccessToken', clientId: 'c1', scope: 'system/*.rs' });
    await tokens.upsert(id, { jti: id, kind: 'AccessToken', clientId: 'c1', scope: 'system/*.r' }, 60);
    expect((await tokens.find(id))?.scope).toBe('system/*.r');
    // Models are separate namespaces.
    expect(await adapterFor('RefreshToken').find(id)).toBeUndefined();
  });

  test('expired rows are not found and are pruned', async () => {
    const tokens = adapterFor('ClientCredentials');
    const id = uniqueId('cc');
    await tokens.upsert(id, { jti: id, kind: 'ClientCredentials' }, 60);
    await pool.query("UPDATE oauth_payload SET expires_at = now() - interval '1 second' WHERE id = $1", [id]);
    expect(await tokens.find(id)).toBeUndefined();
    expect(await pruneExpiredPayloads(pool)).toBeGreaterThanOrEqual(1);
    expect((await pool.query('SELECT 1 FROM oauth_payload WHERE id = $1', [id])).rowCount).toBe(0);
  });

  test('rows without expiresIn never expire', async () => {
    const grants = adapterFor('Grant');
    const id = uniqueId('grant');
    await grants.upsert(id, { jti: id, kind: 'Grant' });
    expect(await grants.find(id)).toMatchObject({ jti: id });
  });

  test('consume marks the payload consumed (epoch seconds)', async () => {
    const codes = adapterFor('AuthorizationCode');
    const id = uniqueId('code');
    await codes.upsert(id, { jti: id, kind: 'AuthorizationCode' }, 60);
    expect((await codes.find(id))?.consumed).toBeUndefined();
    await codes.consume(id);
    const consumed = (await codes.find(id))?.consumed;
    expect(typeof consumed).toBe('number');
    expect(Math.abs((consumed as number) - Date.now() / 1000)).toBeLessThan(60);
  });

  test('destroy removes one row', async () => {
    const tokens = adapterFor('AccessToken');
    const id = uniqueId('at');
    await tokens.upsert(id, { jti: id, kind: 'AccessToken' }, 60);
    await tokens.destroy(id);
    expect(await tokens.find(id)).toBeUndefined();
  });

  test('revokeByGrantId removes every token of the grant and nothing else', async () => {
    const grantId = uniqueId('grant');
    const at = uniqueId('at');
    const rt = uniqueId('rt');
    const other = uniqueId('at');
    await adapterFor('AccessToken').upsert(at, { jti: at, grantId }, 60);
    await adapterFor('RefreshToken').upsert(rt, { jti: rt, grantId }, 600);
    await adapterFor('AccessToken').upsert(other, { jti: other, grantId: uniqueId('grant') }, 60);
    await adapterFor('AccessToken').revokeByGrantId(grantId);
    expect(await adapterFor('AccessToken').find(at)).toBeUndefined();
    expect(await adapterFor('RefreshToken').find(rt)).toBeUndefined();
    expect(await adapterFor('AccessToken').find(other)).toBeDefined();
  });

  test('findByUid and findByUserCode look up sessions and device codes', async () => {
    const sid = uniqueId('session');
    const uid = uniqueId('uid');
    await adapterFor('Session').upsert(sid, { jti: sid, uid, kind: 'Session' }, 60);
    expect(await adapterFor('Session').findByUid(uid)).toMatchObject({ jti: sid });
    const did = uniqueId('device');
    const userCode = uniqueId('CODE');
    await adapterFor('DeviceCode').upsert(did, { jti: did, userCode, kind: 'DeviceCode' }, 60);
    expect(await adapterFor('DeviceCode').findByUserCode(userCode)).toMatchObject({ jti: did });
    expect(await adapterFor('DeviceCode').findByUserCode(uniqueId('nope'))).toBeUndefined();
  });

  test('the Client model reads and writes oauth_client', async () => {
    const clients = adapterFor('Client');
    const clientId = uniqueId('client');
    await clients.upsert(clientId, { client_id: clientId, grant_types: ['client_credentials'] });
    expect(await clients.find(clientId)).toEqual({ client_id: clientId, grant_types: ['client_credentials'] });
    await clients.destroy(clientId);
    expect(await clients.find(clientId)).toBeUndefined();
  });
});
