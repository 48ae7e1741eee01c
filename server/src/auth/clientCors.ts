// CORS on the token endpoint: browsers may call it only for public clients, from the origin of a redirect URI.
import type { Client, KoaContextWithOIDC } from 'oidc-provider';

/** oidc-provider's `clientBasedCORS`. Confidential clients never get CORS: their secrets must stay off browsers. */
export function clientBasedCors(_ctx: KoaContextWithOIDC, origin: string, client: Client): boolean {
  if (origin === 'null' || client.clientAuthMethod !== 'none') {
    return false;
  }
  return (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);
}
