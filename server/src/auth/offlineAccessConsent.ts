// oidc-provider drops offline_access unless prompt includes consent; SMART apps don't send it, so add it for them.
import type { NextFunction, Request, Response } from 'express';

/**
 * On GET /authorize asking for offline_access without `prompt`, adds prompt=consent: every such authorization then
 * passes the consent step (which first-party apps pass without a page), and the refresh token is issued as SMART
 * expects. An explicit prompt (e.g. `none`) is left alone.
 */
export function offlineAccessConsent(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'GET' && req.path === '/authorize') {
    const query = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
    const scopes = (query.get('scope') ?? '').split(' ');
    if (req.url.includes('?') && scopes.includes('offline_access') && !query.has('prompt')) {
      query.set('prompt', 'consent');
      req.url = `${req.path}?${query.toString()}`;
    }
  }
  next();
}
