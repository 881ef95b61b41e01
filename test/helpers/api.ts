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

/** A small but real PDF (file-type recognises it by its header). */
export function samplePdf(text = 'Dossier component'): Buffer {
  return Buffer.from(
    `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% ${text}\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
  );
}

/** A multipart/form-data body: fields first, then one file part. */
export function multipart(fields: Record<string, string>, file?: { name: string; content: Buffer; type?: string }) {
  const boundary = `----appraisal${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`),
      file.content,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function upload(app: FastifyInstance, token: string, projectId: string, component: string, file: { name: string; content: Buffer }, fields: Record<string, string> = {}, headers: Record<string, string> = {}) {
  const body = multipart({ component, ...fields }, file);
  const res = await app.inject({
    method: 'POST',
    url: `/v1/projects/${projectId}/documents`,
    headers: { authorization: `Bearer ${token}`, 'content-type': body.contentType, ...headers },
    payload: body.payload,
  });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

/** Upload one small PDF for every component the project's checklist still misses. */
export async function completeDossier(app: FastifyInstance, token: string, projectId: string): Promise<string[]> {
  const api = client(app, token);
  const { body } = await api.get(`/v1/projects/${projectId}/documents`);
  for (const component of body.checklist.missing as string[]) {
    const res = await upload(app, token, projectId, component, { name: `${component}.pdf`, content: samplePdf(component) });
    if (res.status !== 201) throw new Error(`upload of ${component} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return body.checklist.missing;
}
