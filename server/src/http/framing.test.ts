// Framing: the SMART apps may be embedded by the configured EHR origins; sign-in pages and the API never.
import { describe, expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';

const EHR = 'https://ehr.example.org';
const ctx = useTestServer({ RPM_FRAME_ANCESTORS: `${EHR} http://localhost:9999` });

describe('RPM_FRAME_ANCESTORS', () => {
  test('the apps’ pages name the EHR origins in frame-ancestors and send no X-Frame-Options', async () => {
    for (const page of ['/apps/clinician/launch.html', '/apps/clinician/worklist', '/apps/patient/']) {
      const res = await fetch(`${ctx.server.baseUrl}${page}`, { headers: { accept: 'text/html' } });
      await res.arrayBuffer();
      expect(res.headers.get('content-security-policy'), page).toBe(
        `frame-ancestors 'self' ${EHR} http://localhost:9999`
      );
      expect(res.headers.get('x-frame-options'), page).toBeNull();
    }
  });

  test('sign-in pages, OAuth endpoints and the FHIR API stay unframable (X-Frame-Options DENY)', async () => {
    const launcher = await fetch(`${ctx.server.baseUrl}/oauth2/ehr-launcher`);
    await launcher.arrayBuffer();
    expect(launcher.headers.get('x-frame-options')).toBe('DENY');
    expect(launcher.headers.get('content-security-policy') ?? '').not.toContain(EHR);
    for (const path of ['/oauth2/smart-style.json', '/fhir/R4/metadata', '/healthz', '/nowhere']) {
      const res = await fetch(`${ctx.server.baseUrl}${path}`);
      await res.arrayBuffer();
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('content-security-policy') ?? '', path).not.toContain(EHR);
    }
  });
});
