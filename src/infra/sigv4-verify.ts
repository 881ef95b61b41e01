import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verification of AWS Signature Version 4 (header "Authorization: AWS4-HMAC-SHA256 …" and
 * presigned "X-Amz-Signature" query forms), for the embedded S3 server. Follows the published
 * algorithm: canonical request → string to sign → HMAC chain over date/region/service.
 */
export interface SignedRequest {
  method: string;
  /** Path and query exactly as sent. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface SignatureProblem {
  code: 'AccessDenied' | 'InvalidAccessKeyId' | 'SignatureDoesNotMatch' | 'RequestExpired';
  message: string;
}

const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

function awsEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return Number.NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

export function verifySigV4(
  req: SignedRequest,
  secretFor: (accessKey: string) => string | undefined,
  now: number = Date.now(),
): SignatureProblem | undefined {
  const qIndex = req.url.indexOf('?');
  const rawPath = qIndex === -1 ? req.url : req.url.slice(0, qIndex);
  const rawQuery = qIndex === -1 ? '' : req.url.slice(qIndex + 1);
  const params = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq === -1 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
    }) as Array<[string, string]>;
  const query = new Map(params);

  let credential: string;
  let signedHeaders: string;
  let provided: string;
  let amzDate: string;
  let payloadHash: string;
  const presigned = query.has('X-Amz-Signature');
  if (presigned) {
    if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return { code: 'AccessDenied', message: 'Only AWS4-HMAC-SHA256 is supported' };
    credential = query.get('X-Amz-Credential') ?? '';
    signedHeaders = query.get('X-Amz-SignedHeaders') ?? '';
    provided = query.get('X-Amz-Signature') ?? '';
    amzDate = query.get('X-Amz-Date') ?? '';
    payloadHash = 'UNSIGNED-PAYLOAD';
    const expires = Number(query.get('X-Amz-Expires') ?? 'NaN');
    const start = parseAmzDate(amzDate);
    if (!Number.isFinite(expires) || !Number.isFinite(start) || now > start + expires * 1000) {
      return { code: 'AccessDenied', message: 'Request has expired' };
    }
  } else {
    const auth = header(req.headers, 'authorization') ?? '';
    const m = /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return { code: 'AccessDenied', message: 'A Signature Version 4 Authorization header is required' };
    [, credential, signedHeaders, provided] = m as unknown as [string, string, string, string];
    amzDate = header(req.headers, 'x-amz-date') ?? '';
    payloadHash = header(req.headers, 'x-amz-content-sha256') ?? createHash('sha256').update('').digest('hex');
    const at = parseAmzDate(amzDate);
    if (!Number.isFinite(at) || Math.abs(now - at) > MAX_CLOCK_SKEW_MS) {
      return { code: 'RequestExpired', message: 'Request date is missing or too far from the server time' };
    }
  }

  const [accessKey = '', date = '', region = '', service = '', terminator = ''] = credential.split('/');
  const secret = secretFor(accessKey);
  if (secret === undefined) return { code: 'InvalidAccessKeyId', message: 'The access key does not exist' };
  if (terminator !== 'aws4_request' || !amzDate.startsWith(date)) {
    return { code: 'SignatureDoesNotMatch', message: 'Malformed credential scope' };
  }

  const canonicalQuery = params
    .filter(([k]) => !(presigned && k === 'X-Amz-Signature'))
    .map(([k, v]) => [awsEncode(k), awsEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headerNames = signedHeaders.split(';');
  const canonicalHeaders = headerNames
    .map((name) => `${name}:${(header(req.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [req.method.toUpperCase(), rawPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(provided, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { code: 'SignatureDoesNotMatch', message: 'The request signature does not match' };
  }
  return undefined;
}
