// Koa middleware for oidc-provider: `Pragma: no-cache` beside the library's `Cache-Control: no-store` (SMART expects both).
import type { KoaContextWithOIDC } from 'oidc-provider';

export async function noCachePragma(ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> {
  await next();
  if (String(ctx.response.get('Cache-Control') ?? '').includes('no-store')) {
    ctx.set('Pragma', 'no-cache');
  }
}
