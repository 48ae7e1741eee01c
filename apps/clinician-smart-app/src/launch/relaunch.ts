// Remembers which server and client id the app was launched with, so an ended session can start the same launch again.
const KEY = 'rpm-clinician-launch';

interface LaunchMemory {
  iss: string;
  clientId: string;
}

export function rememberLaunch(memory: LaunchMemory): void {
  sessionStorage.setItem(KEY, JSON.stringify(memory));
}

/** launch.html with the remembered `iss` and `clientId` (a standalone launch against the same server). */
export function relaunchUrl(): string {
  const url = new URL('launch.html', new URL(import.meta.env.BASE_URL, window.location.origin));
  try {
    const memory = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as LaunchMemory | null;
    if (memory) {
      url.searchParams.set('iss', memory.iss);
      url.searchParams.set('clientId', memory.clientId);
    }
  } catch {
    // Nothing remembered: launch.html falls back to this server and the default client.
  }
  return url.toString();
}

const RETURN_KEY = 'rpm-clinician-return';

/** Before launching again after the session ended: the app's page to come back to (its drafts are kept too). */
export function rememberReturnPath(path: string): void {
  sessionStorage.setItem(RETURN_KEY, path);
}

/** The page remembered by rememberReturnPath, once (then forgotten). */
export function takeReturnPath(): string | undefined {
  const path = sessionStorage.getItem(RETURN_KEY) ?? undefined;
  sessionStorage.removeItem(RETURN_KEY);
  return path?.startsWith('/') ? path : undefined;
}
