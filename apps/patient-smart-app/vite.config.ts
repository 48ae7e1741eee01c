// Vite: the app's two pages (launch.html, index.html) under /apps/patient/; public/ holds the PWA manifest, icons, worker.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Where `npm start` serves the FHIR server; the dev server forwards FHIR and OAuth calls to it. */
const RPM_SERVER = process.env.RPM_SERVER_URL ?? 'http://localhost:8103';

export default defineConfig({
  base: '/apps/patient/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      input: {
        index: new URL('./index.html', import.meta.url).pathname,
        launch: new URL('./launch.html', import.meta.url).pathname,
      },
    },
  },
  server: {
    port: 5174,
    proxy: {
      '/fhir': { target: RPM_SERVER, changeOrigin: false },
      '/oauth2': { target: RPM_SERVER, changeOrigin: false },
    },
  },
});
