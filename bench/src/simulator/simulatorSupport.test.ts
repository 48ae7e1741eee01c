// Simulator plumbing: options, the client assertion it signs, and how it reads a transaction-response.
import crypto from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { clientAssertion } from './backendServicesAuth.ts';
import { uploadResult } from './gatewayUpload.ts';
import { parseSimulatorOptions } from './simulatorOptions.ts';

describe('parseSimulatorOptions', () => {
  test('defaults', () => {
    expect(parseSimulatorOptions([])).toMatchObject({
      patients: 10,
      interval: 60,
      duration: 0,
      seed: 1,
      baseUrl: 'http://localhost:8103',
      adminClientId: 'rpm-admin',
      help: false,
    });
  });

  test("the issue's form: --patients N --interval S, and the rest", () => {
    expect(
      parseSimulatorOptions([
        '--patients',
        '25',
        '--interval',
        '5',
        '--duration',
        '120',
        '--seed',
        '9',
        '--base-url',
        'https://rpm.example/',
        '--client-id',
        'gw',
        '--private-key',
        'key.pem',
      ])
    ).toMatchObject({
      patients: 25,
      interval: 5,
      duration: 120,
      seed: 9,
      baseUrl: 'https://rpm.example',
      clientId: 'gw',
      privateKeyFile: 'key.pem',
    });
  });

  test('bad input gets a clear error', () => {
    expect(() => parseSimulatorOptions(['--patients', '0'])).toThrow('--patients must be an integer >= 1, got "0"');
    expect(() => parseSimulatorOptions(['--interval', '1.5'])).toThrow(/--interval must be an integer/);
    expect(() => parseSimulatorOptions(['--base-url', 'localhost:8103'])).toThrow(/--base-url must be an http/);
    expect(() => parseSimulatorOptions(['--client-id', 'gw'])).toThrow('--client-id and --private-key go together');
    expect(() => parseSimulatorOptions(['--speed', '3'])).toThrow(/speed/);
  });
});

describe('clientAssertion', () => {
  test('ES384: a JWT for the token URL that verifies with the public key', () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const jwt = clientAssertion(
      { clientId: 'gw-1', kid: 'k1', privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string },
      'http://localhost:8103/oauth2/token',
      1_700_000_000
    );
    const [header, claims, signature] = jwt.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'ES384', typ: 'JWT', kid: 'k1' });
    expect(JSON.parse(Buffer.from(claims, 'base64url').toString())).toMatchObject({
      iss: 'gw-1',
      sub: 'gw-1',
      aud: 'http://localhost:8103/oauth2/token',
      iat: 1_700_000_000,
      exp: 1_700_000_300,
    });
    const valid = crypto.verify(
      'sha384',
      Buffer.from(`${header}.${claims}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url')
    );
    expect(valid).toBe(true);
  });

  test('every assertion has its own jti; an Ed25519 key is refused', () => {
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const identity = { clientId: 'gw', privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string };
    const jti = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).jti;
    const first = clientAssertion(identity, 'http://x/token');
    expect(JSON.parse(Buffer.from(first.split('.')[0], 'base64url').toString()).alg).toBe('RS384');
    expect(jti(first)).not.toBe(jti(clientAssertion(identity, 'http://x/token')));
    const ed = crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    expect(() => clientAssertion({ clientId: 'gw', privateKeyPem: ed }, 'http://x/token')).toThrow(/EC P-384 or RSA/);
  });
});

describe('uploadResult', () => {
  const response = (...statuses: string[]) =>
    JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction-response',
      entry: statuses.map((status) => ({ response: { status } })),
    });

  test('counts the readings created and already there, after the Patient and Device entries', () => {
    expect(uploadResult(200, response('200', '201', '201 Created', '201', '200'), 5)).toEqual({
      created: 2,
      existing: 1,
    });
  });

  test('an HTTP error, a short response or an odd status is an error', () => {
    expect(uploadResult(400, '{"resourceType":"OperationOutcome"}', 3).error).toMatch(/^HTTP 400/);
    expect(uploadResult(200, response('201'), 3).error).toMatch(/3 entries/);
    expect(uploadResult(200, response('200', '200', '412'), 3).error).toMatch(/412/);
  });
});
