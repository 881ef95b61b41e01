import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { formCommandMeta, pathUuid } from '../../src/web/pages/page-input';

const request = (params: Record<string, string> = {}) => ({ id: 'req-1', params }) as unknown as FastifyRequest;
const KEY = '0b5f9a52-2f7e-4b8e-9d0c-1c2f3e4a5b6c';

describe('page input', () => {
  it('takes a form\'s revision and idempotency key only when each is one well-formed string', () => {
    expect(formCommandMeta(request(), { revision: '7', _idem: KEY })).toEqual({ requestId: 'req-1', ifMatch: 7, idempotencyKey: KEY });
    // A field repeated in the form body arrives as an array: it never becomes a key or a revision.
    expect(formCommandMeta(request(), { revision: ['7', '8'], _idem: [KEY] })).toEqual({ requestId: 'req-1' });
    expect(formCommandMeta(request(), { revision: '1e3', _idem: 'not-a-uuid' })).toEqual({ requestId: 'req-1' });
    expect(formCommandMeta(request(), { revision: '9'.repeat(40) })).toEqual({ requestId: 'req-1' });
    expect(formCommandMeta(request(), undefined)).toEqual({ requestId: 'req-1' });
  });
  it('answers 404 for a path id that is not a UUID', () => {
    expect(pathUuid(request({ id: KEY }))).toBe(KEY);
    expect(() => pathUuid(request({ id: 'x' }), 'id', 'Slip not found')).toThrow('Slip not found');
    expect(() => pathUuid(request({}), 'slipId')).toThrow('Not found');
  });
});
