// A lean HTTP POST for the load generator: node:http over kept-alive connections, far cheaper per request than fetch.
import http from 'node:http';
import https from 'node:https';

export interface PostAnswer {
  status: number;
  /** The Retry-After header, when there is one. */
  retryAfter: string | null;
  text: string;
}

export interface LeanPoster {
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostAnswer>;
  /** Closes the kept-alive connections. */
  close(): void;
}

/**
 * The bench's devices share the machine with the server they load, so what the load generator costs per request is
 * taken from the server: `fetch` (undici, with its web streams) cost the alerting bench about 0.5 ms of CPU per
 * reading posted alone, about an eighth of the two cores at 500/s. This keeps up to `maxSockets` connections per
 * origin open and reads each answer as one string.
 */
export function leanPoster(maxSockets: number): LeanPoster {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets }),
    'https:': new https.Agent({ keepAlive: true, maxSockets }),
  };
  return {
    post(url, headers, body, timeoutMs) {
      const target = new URL(url);
      const protocol = target.protocol === 'https:' ? 'https:' : 'http:';
      const request = protocol === 'https:' ? https.request : http.request;
      return new Promise((resolve, reject) => {
        const req = request(
          target,
          {
            method: 'POST',
            agent: agents[protocol],
            headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
            timeout: timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', reject);
            res.on('end', () => {
              const retryAfter = res.headers['retry-after'];
              resolve({
                status: res.statusCode ?? 0,
                retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
                text: Buffer.concat(chunks).toString('utf8'),
              });
            });
          }
        );
        req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
