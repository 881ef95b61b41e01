import type { FastifyInstance, InjectOptions } from 'fastify';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/** A tiny client over app.inject() with a bearer token. */
export function client(app: FastifyInstance, token?: string) {
  const call = async <T = any>(method: InjectOptions['method'], url: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> => {
    const res = await app.inject({
      method,
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    let parsed: unknown = res.body;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, body: parsed as T, headers: res.headers };
  };
  return {
    get: <T = any>(url: string, headers?: Record<string, string>) => call<T>('GET', url, undefined, headers),
    post: <T = any>(url: string, body: unknown = {}, headers?: Record<string, string>) => call<T>('POST', url, body, headers),
    put: <T = any>(url: string, body: unknown, headers?: Record<string, string>) => call<T>('PUT', url, body, headers),
  };
}

export const sampleProject = (overrides: Record<string, unknown> = {}) => ({
  name: 'Nhà máy xi măng Hạ Long — dây chuyền 2',
  description: 'Dry-process rotary kiln line, 4,000 t/day',
  sector: 'cement',
  location: 'Hoành Bồ, Quảng Ninh',
  capitalVnd: 2_500_000_000_000,
  stage: 'investment_policy',
  group: 'B',
  capitalSource: 'private',
  decidingLevel: 'provincial_peoples_committee',
  environmentalRisk: true,
  ...overrides,
});

export const sampleDeclaration = (overrides: Record<string, unknown> = {}) => ({
  technologies: [{ name: 'Dry-process rotary kiln with five-stage preheater', origin: 'Germany', description: 'Clinker production, 4,000 t/day' }],
  machinery: [
    { name: 'Vertical roller mill', hsCode: '8474.20', manufactureYear: 2024, condition: 'new', standards: ['QCVN 05:2023/BTNMT', 'DIN EN 206'] },
  ],
  ...overrides,
});
