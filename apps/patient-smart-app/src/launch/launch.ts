// launch.html: starts the standalone patient SMART authorization with fhirclient.
import FHIR from 'fhirclient';
import { launchOptions } from './launchOptions.ts';
import { rememberLaunch } from './relaunch.ts';

const status = document.getElementById('launch-status');
// The dev server (npm run dev) sets VITE_RPM_FHIR_BASE: the FHIR server is not the origin serving the app there.
const options = launchOptions(new URL(window.location.href), import.meta.env.VITE_RPM_FHIR_BASE || undefined);
rememberLaunch({ iss: options.iss as string, clientId: options.clientId as string });
FHIR.oauth2.authorize(options).catch((err: unknown) => {
  if (status) {
    status.textContent = `We could not start signing you in. Check your internet connection and try again. (${err instanceof Error ? err.message : String(err)})`;
    status.setAttribute('role', 'alert');
  }
});
