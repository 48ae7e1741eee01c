// oidc-provider's renderError: a readable, accessible page for errors that cannot be sent back to the app.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { escapeHtml, PAGE_SECURITY_POLICY, renderPage } from './layout.ts';

/** Wording for people, not for developers: what happened and what to do. The OAuth error stays visible. */
export async function renderErrorPage(
  ctx: KoaContextWithOIDC,
  out: { error: string; error_description?: string },
  _error: Error
): Promise<void> {
  ctx.type = 'html';
  ctx.set('Content-Security-Policy', PAGE_SECURITY_POLICY);
  ctx.body = renderPage({
    title: 'Sorry, this sign-in could not continue',
    body: `<p>${escapeHtml(out.error_description ?? 'The request was not valid.')}</p>
<p>Go back to the app you came from and try again. If it keeps happening, contact your care team or IT support and
quote this code: <code>${escapeHtml(out.error)}</code>.</p>`,
  });
}
