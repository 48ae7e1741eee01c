// Serves a built single-page SMART app (Vite's dist/) under its path: hashed assets cached for a year, pages never.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import { outcomeWithStatus, sendOutcome } from './outcomes.ts';

/** The clinician app's build output (apps/clinician-smart-app, `npm run build`). */
export const CLINICIAN_APP_DIST = fileURLToPath(new URL('../../../apps/clinician-smart-app/dist/', import.meta.url));

/** Where the server serves the clinician app (its registered redirect URI is this path on the base URL). */
export const CLINICIAN_APP_PATH = '/apps/clinician';

/** The patient app's build output (apps/patient-smart-app, `npm run build`). */
export const PATIENT_APP_DIST = fileURLToPath(new URL('../../../apps/patient-smart-app/dist/', import.meta.url));

/** Where the server serves the patient app (its registered redirect URI is this path on the base URL). */
export const PATIENT_APP_PATH = '/apps/patient';

/**
 * A router for `distDir`: files as they are (Vite's `assets/` carry a content hash: immutable; anything else
 * no-cache), and `index.html` for any other GET that wants a page, so the app's own routes survive a reload.
 * Without a build, a 404 that says how to build it.
 */
export function smartAppRouter(distDir: string, appName: string): express.Router {
  const router = express.Router();
  const indexFile = path.join(distDir, 'index.html');
  router.use(
    express.static(distDir, {
      index: 'index.html',
      redirect: true,
      fallthrough: true,
      setHeaders: (res, file) => {
        const hashed = file.startsWith(path.join(distDir, 'assets') + path.sep);
        res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    })
  );
  router.get(/.*/, (req: Request, res: Response, next) => {
    const wantsPage = req.accepts(['html', 'json']) === 'html' && !path.extname(req.path);
    if (!wantsPage) {
      next();
      return;
    }
    if (!existsSync(indexFile)) {
      sendOutcome(
        res,
        outcomeWithStatus(404, 'not-found', `The ${appName} is not built: run "npm run build" in the repository`)
      );
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile);
  });
  return router;
}
