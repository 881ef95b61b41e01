/**
 * A small browser stand-in for the web tests: real HTTP over a listening socket, a cookie jar
 * keyed by path, manual redirects (so each hop can be checked) and the page's CSRF token.
 */
export interface WebResponse {
  status: number;
  url: string;
  location: string | null;
  body: string;
  headers: Headers;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

export class WebClient {
  private jar = new Map<string, Cookie>();
  constructor(readonly base: string) {}

  private cookieHeader(url: URL): string {
    return [...this.jar.values()]
      .filter((c) => url.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(headers: Headers) {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const pathAttr = attrs.find((a) => a.toLowerCase().startsWith('path='));
      const path = pathAttr ? pathAttr.slice(5) : '/';
      const expired = attrs.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && new Date(a.slice(8)).getTime() < Date.now()));
      const key = `${name};${path}`;
      if (expired || value === '') this.jar.delete(key);
      else this.jar.set(key, { name, value, path });
    }
  }

  cookieNames(): string[] {
    return [...this.jar.values()].map((c) => c.name);
  }

  /** One request, no redirect following. */
  async request(method: string, target: string, body?: Record<string, string> | FormData): Promise<WebResponse> {
    const url = new URL(target, this.base);
    const headers: Record<string, string> = { cookie: this.cookieHeader(url), accept: 'text/html' };
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body) {
      payload = new URLSearchParams(body).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method, headers, body: payload, redirect: 'manual' });
    this.store(res.headers);
    return { status: res.status, url: url.href, location: res.headers.get('location'), body: await res.text(), headers: res.headers };
  }

  /** Follow redirects like a browser (303/302 → GET). */
  async follow(method: string, target: string, body?: Record<string, string> | FormData, max = 15): Promise<WebResponse> {
    let res = await this.request(method, target, body);
    for (let i = 0; i < max && res.status >= 300 && res.status < 400 && res.location; i++) {
      res = await this.request('GET', new URL(res.location, res.url).href);
    }
    return res;
  }

  get(target: string) {
    return this.follow('GET', target);
  }

  /** Submit a form of the page `page`: its action (by index) with its hidden fields plus `fields`. */
  async submit(page: WebResponse, fields: Record<string, string>, opts: { action?: string } = {}): Promise<WebResponse> {
    const forms = [...page.body.matchAll(/<form[^>]*?action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = opts.action ? forms.find((f) => decode(f[1]!) === opts.action || decode(f[1]!).startsWith(opts.action!)) : forms.find((f) => !/\/(language|role|auth\/signout)$/.test(f[1]!));
    if (!form) throw new Error(`no form ${opts.action ?? ''} on ${page.url}: ${page.body.slice(0, 500)}`);
    const hidden: Record<string, string> = {};
    for (const m of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) hidden[m[1]!] = decode(m[2]!);
    return this.follow('POST', new URL(decode(form[1]!), page.url).href, { ...hidden, ...fields });
  }

  csrf(page: WebResponse): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(page.body);
    if (!m) throw new Error(`no CSRF token on ${page.url}`);
    return decode(m[1]!);
  }
}

export function decode(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

/** Sign in through the real provider; changes a one-time password to `newPassword` when asked. */
export async function signIn(client: WebClient, sub: string, password: string, newPassword?: string): Promise<WebResponse> {
  const form = await client.get('/auth/signin');
  if (!form.body.includes('name="password"')) throw new Error(`not a sign-in page: ${form.status} ${form.body.slice(0, 300)}`);
  let page = await client.submit(form, { sub, password });
  if (page.body.includes('name="newPassword"')) {
    if (!newPassword) throw new Error('the account asks for a new password');
    page = await client.submit(page, { newPassword, confirmPassword: newPassword });
  }
  return page;
}
