// Framing without RPM_FRAME_ANCESTORS: nothing may be framed, the apps included (X-Frame-Options DENY everywhere).
import { expect, test } from 'vitest';
import { useTestServer } from '../testing/testServer.ts';

const ctx = useTestServer();

test('by default the apps are not framable either', async () => {
  for (const path of ['/apps/clinician/launch.html', '/oauth2/smart-style.json', '/fhir/R4/metadata']) {
    const res = await fetch(`${ctx.server.baseUrl}${path}`, { headers: { accept: 'text/html' } });
    await res.arrayBuffer();
    expect(res.headers.get('x-frame-options'), path).toBe('DENY');
    expect(res.headers.get('content-security-policy') ?? '', path).not.toContain('frame-ancestors');
  }
});
