// Test helper: a minimal cookie-keeping HTTP client that follows redirects, for driving sign-in pages without Chromium.

export interface PageResponse {
  status: number;
  url: string;
  headers: Headers;
  text: string;
}

/** Keeps cookies per host and follows redirects until a page or a URL the caller wants to stop at. */
export class FormBrowser {
  private readonly cookies = new Map<string, Map<string, string>>();
  /** URLs starting with this prefix are not followed (e.g. the app's redirect_uri, to read the code). */
  stopAt?: string;

  constructor(stopAt?: string) {
    this.stopAt = stopAt;
  }

  private cookieHeader(url: URL): string {
    const jar = this.cookies.get(url.host);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  private store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const jar = this.cookies.get(url.host) ?? new Map<string, string>();
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a) || /^\s*max-age=0/i.test(a));
      if (expired || value === '') {
        jar.delete(name);
      } else {
        jar.set(name, value);
      }
      this.cookies.set(url.host, jar);
    }
  }

  /** Forgets every cookie (a new browser). */
  clear(): void {
    this.cookies.clear();
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<PageResponse> {
    let current = new URL(url);
    let method = init.method ?? (init.form ? 'POST' : 'GET');
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hops = 0; hops < 20; hops++) {
      if (this.stopAt && current.toString().startsWith(this.stopAt)) {
        return { status: 0, url: current.toString(), headers: new Headers(), text: '' };
      }
      const response = await fetch(current, {
        method,
        redirect: 'manual',
        headers: {
          cookie: this.cookieHeader(current),
          ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body,
      });
      this.store(current, response.headers);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current);
        method = 'GET';
        body = undefined;
        continue;
      }
      return {
        status: response.status,
        url: current.toString(),
        headers: response.headers,
        text: await response.text(),
      };
    }
    throw new Error(`Too many redirects from ${url}`);
  }

  get(url: string): Promise<PageResponse> {
    return this.request(url);
  }

  post(url: string, form: Record<string, string>): Promise<PageResponse> {
    return this.request(url, { form });
  }
}

/** The action URL of the first form on a page whose action ends with `suffix` (absolute). */
export function formAction(page: PageResponse, suffix: string): string {
  const actions = [...page.text.matchAll(/<form[^>]*action="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
  const action = actions.find((a) => a.endsWith(suffix));
  if (!action) {
    throw new Error(`No form ending in ${suffix} on ${page.url} (status ${page.status}): ${page.text.slice(0, 500)}`);
  }
  return new URL(action, page.url).toString();
}
