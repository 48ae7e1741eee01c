// Revocation reaches every instance at once: local cache eviction, and a Redis announcement for the other instances.
import type { Redis } from 'ioredis';
import type Provider from 'oidc-provider';
import { forgetVerifiedGrant, forgetVerifiedToken, tokenDigest } from './authenticate.ts';

/** Redis channel carrying {"token": digest} or {"grant": id} for each revoked token or grant. */
export const REVOCATION_CHANNEL = 'rpm:auth:revoked';

/** A revoked access token (its tokenDigest) or grant (its id). */
export type Revocation = { token?: string; grant?: string };

export interface RevocationFanout {
  /**
   * Calls `listener` for every revocation this instance makes or hears of (e.g. the websocket channel ends the
   * bindings made with that token). Listeners must not throw.
   */
  onRevoked(listener: (revocation: Revocation) => void): void;
  close(): Promise<void>;
}

/**
 * Listens to the provider's destroyed access tokens and revoked grants. With Redis, announces them (only token
 * digests, never tokens) and applies announcements from other instances; without Redis (a single process) the
 * local eviction is all there is to do.
 */
export async function startRevocationFanout(provider: Provider, redis?: Redis): Promise<RevocationFanout> {
  let subscriber: Redis | undefined;
  const listeners: ((revocation: Revocation) => void)[] = [];
  const apply = (message: Revocation): void => {
    const revocation: Revocation = {};
    if (typeof message.token === 'string') {
      forgetVerifiedToken(message.token);
      revocation.token = message.token;
    }
    if (typeof message.grant === 'string') {
      forgetVerifiedGrant(message.grant);
      revocation.grant = message.grant;
    }
    if (revocation.token || revocation.grant) {
      listeners.forEach((listener) => listener(revocation));
    }
  };
  const announce = (message: Revocation) => {
    apply(message);
    redis?.publish(REVOCATION_CHANNEL, JSON.stringify(message)).catch((err: Error) => {
      console.error('Announcing a token revocation through Redis failed:', err.message);
    });
  };
  provider.on('access_token.destroyed', (token: { jti: string }) => announce({ token: tokenDigest(token.jti) }));
  provider.on('client_credentials.destroyed', (token: { jti: string }) => announce({ token: tokenDigest(token.jti) }));
  provider.on('grant.revoked', (_ctx: unknown, grantId: string) => announce({ grant: grantId }));

  if (redis) {
    subscriber = redis.duplicate();
    subscriber.on('message', (_channel: string, text: string) => {
      try {
        apply(JSON.parse(text) as Revocation);
      } catch {
        // Not ours: ignore malformed messages.
      }
    });
    await subscriber.subscribe(REVOCATION_CHANNEL);
  }
  return {
    onRevoked(listener) {
      listeners.push(listener);
    },
    async close() {
      await subscriber?.quit().catch(() => undefined);
    },
  };
}
