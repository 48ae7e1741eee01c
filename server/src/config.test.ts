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

  test('RPM_DEMO_SIMULATION: on with the demo data by default, off without it, never in production', () => {
    expect(loadConfig({}).demoSimulation).toBe(true);
    expect(loadConfig({ RPM_SEED_DEMO_DATA: 'false' }).demoSimulation).toBe(false);
    expect(loadConfig({ RPM_DEMO_SIMULATION: 'false' }).demoSimulation).toBe(false);
    expect(loadConfig({ RPM_SEED_DEMO_DATA: 'false', RPM_DEMO_SIMULATION: 'true' }).demoSimulation).toBe(true);
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/rpm',
      RPM_ADMIN_CLIENT_SECRET: 'a-long-random-production-secret-1234',
      RPM_DEMO_SIMULATION: 'true',
    };
    expect(loadConfig(production).demoSimulation).toBe(false);
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
    expect(() => loadConfig({ RPM_ALERT_BACKLOG_LIMIT_MS: '5s' })).toThrow(/RPM_ALERT_BACKLOG_LIMIT_MS/);
  });

  test('RPM_ALERT_BACKLOG_LIMIT_MS: readings wait once alerts are 0.5 s late by default; 0 never', () => {
    expect(loadConfig({}).jobs.alertBacklogLimitMs).toBe(500);
    expect(loadConfig({ RPM_ALERT_BACKLOG_LIMIT_MS: '0' }).jobs.alertBacklogLimitMs).toBe(0);
    expect(loadConfig({ RPM_ALERT_BACKLOG_LIMIT_MS: '2000' }).jobs.alertBacklogLimitMs).toBe(2_000);
    expect(loadConfig({}).jobs.readingHoldMs).toBe(5_000);
    expect(loadConfig({ RPM_READING_HOLD_MS: '0' }).jobs.readingHoldMs).toBe(0);
  });

  test('RPM_JOB_CONCURRENCY: a full alerts-bot batch (25) per bot worker by default; set, it wins', () => {
    expect(loadConfig({}).jobs.concurrency).toBe(50);
    expect(loadConfig({ RPM_BOT_WORKERS: '3' }).jobs.concurrency).toBe(75);
    expect(loadConfig({ RPM_BOT_WORKERS: '3', RPM_JOB_CONCURRENCY: '16' }).jobs.concurrency).toBe(16);
    expect(() => loadConfig({ RPM_JOB_CONCURRENCY: '0' })).toThrow(/RPM_JOB_CONCURRENCY must be at least 1/);
  });

  test('RPM_FRAME_ANCESTORS: none by default; origins only (no path, http or https)', () => {
    expect(loadConfig({}).frameAncestors).toEqual([]);
    expect(
      loadConfig({ RPM_FRAME_ANCESTORS: 'https://ehr.example.org, http://localhost:3000/' }).frameAncestors
    ).toEqual(['https://ehr.example.org', 'http://localhost:3000']);
    expect(() => loadConfig({ RPM_FRAME_ANCESTORS: 'https://ehr.example.org/app' })).toThrow(/RPM_FRAME_ANCESTORS/);
    expect(() => loadConfig({ RPM_FRAME_ANCESTORS: "* 'unsafe-inline'" })).toThrow(/RPM_FRAME_ANCESTORS/);
  });
});
