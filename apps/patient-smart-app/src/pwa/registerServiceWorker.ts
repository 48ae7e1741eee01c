// Registers public/sw.js (the app shell cache) so the app opens without a connection and can be installed.

/** The cache public/sw.js keeps the app shell in (the same name there). */
const SHELL_CACHE = 'rpm-patient-shell-v1';

/**
 * The scripts and styles this page loaded before the worker was in control (so it never saw them): put them in the
 * worker's cache, so that the app also opens offline after its first start. Later ones the worker caches itself.
 */
async function cacheLoadedAssets(base: string): Promise<void> {
  const urls = performance
    .getEntriesByType('resource')
    .map((entry) => entry.name)
    .filter(
      (name) => new URL(name).origin === window.location.origin && new URL(name).pathname.startsWith(`${base}assets/`)
    );
  const cache = await caches.open(SHELL_CACHE);
  await Promise.all(urls.map((url) => cache.add(url).catch(() => undefined)));
}

export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) {
    return;
  }
  const base = import.meta.env.BASE_URL;
  const url = new URL('sw.js', new URL(base, window.location.origin));
  navigator.serviceWorker
    .register(url, { scope: base })
    .then(() => navigator.serviceWorker.ready)
    .then(async () => {
      await cacheLoadedAssets(base);
      // Once more when the first screen's chunks have surely loaded.
      setTimeout(() => void cacheLoadedAssets(base).catch(() => undefined), 5_000);
    })
    .catch(() => {
      // No offline start-up then; the app itself works as before.
    });
}
