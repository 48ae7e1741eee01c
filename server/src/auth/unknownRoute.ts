// Koa middleware for oidc-provider: a path or method it does not serve answers OAuth error JSON, not Koa's plain text.
import type { KoaContextWithOIDC } from 'oidc-provider';

export async function unknownRoute(ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> {
  await next();
  if (ctx.status === 404 && ctx.body === undefined) {
    ctx.status = 404;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      error: 'invalid_request',
      error_description: `unrecognized route or not allowed method (${ctx.method} on ${ctx.path})`,
    };
  }
}
