// Service worker of the patient app: keeps the app shell (pages, scripts, styles, icons) so the app opens offline.
// FHIR and sign-in requests are never touched (readings wait in the app's own IndexedDB outbox instead).
/* global self, caches, fetch, URL */
const CACHE = 'rpm-patient-shell-v1';
const SCOPE = new URL('./', self.location.href).pathname;
const SHELL = ['./', './index.html', './launch.html', './manifest.webmanifest', './icons/icon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) {
    return;
  }
  if (request.mode === 'navigate') {
    // Pages: the network first (a new version and the sign-in redirect's query), the cached page when offline.
    event.respondWith(
      fetch(request).catch(() =>
        caches.match(url.pathname.endsWith('launch.html') ? './launch.html' : './index.html', { ignoreSearch: true })
      )
    );
    return;
  }
  // Scripts, styles, icons: hashed assets never change, so the cache first; whatever is fetched is kept.
  event.respondWith(
    caches.match(request).then(
      (cached) =>
        cached ??
        fetch(request).then((response) => {
          if (response.ok) {
            const copy = response.clone();
            void caches.open(CACHE).then((cache) => cache.put(request, copy));
          }
          return response;
        })
    )
  );
});
