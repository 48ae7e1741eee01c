// Where clients connect: the path Medplum's client uses, under the server's public base URL.
/** MedplumClient connects to `${baseUrl}/ws/subscriptions-r4`. */
export const SUBSCRIPTIONS_WEBSOCKET_PATH = '/ws/subscriptions-r4';

/** e.g. http://localhost:8103 → ws://localhost:8103/ws/subscriptions-r4 (https → wss). */
export function subscriptionsWebSocketUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '').replace(/^http/, 'ws')}${SUBSCRIPTIONS_WEBSOCKET_PATH}`;
}
