// Configuration: defaults for zero setup, and development defaults refused in production.
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  test('no configuration: port 8103, embedded database, development admin client', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8103);
    expect(config.baseUrl).toBe('http://localhost:8103');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.adminClientId).toBe('rpm-admin');
    expect(config.adminClientSecret).toBe('rpm-admin-secret');
    expect(config.embeddedDataDir).toMatch(/\.data\/postgres$/);
  });

  test('PORT, DATABASE_URL and REDIS_URL switch to external services', () => {
    const config = loadConfig({ PORT: '9000', DATABASE_URL: 'postgres://db/rpm', REDIS_URL: 'redis://cache:6379' });
    expect(config.port).toBe(9000);
    expect(config.baseUrl).toBe('http://localhost:9000');
    expect(config.databaseUrl).toBe('postgres://db/rpm');
    expect(config.redisUrl).toBe('redis://cache:6379');
  });

  test('production refuses the development admin secret, a short secret, and the embedded database', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/rpm' })).toThrow(ConfigError);
    expect(() =>
      loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/rpm', RPM_ADMIN_CLIENT_SECRET: 'short' })
    ).toThrow(/at least 24/);
    expect(() => loadConfig({ NODE_ENV: 'production', RPM_ADMIN_CLIENT_SECRET: 'x'.repeat(32) })).toThrow(
      /DATABASE_URL/
    );
    const ok = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/rpm',
      RPM_ADMIN_CLIENT_SECRET: 'x'.repeat(32),
    });
    expect(ok.production).toBe(true);
  });

  test('malformed numbers are refused with the variable named', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ RPM_MAX_BODY_BYTES: '-1' })).toThrow(/RPM_MAX_BODY_BYTES/);
  });
});
