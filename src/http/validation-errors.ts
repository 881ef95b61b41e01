/**
 * Schema-validation errors a newcomer can act on. Ajv runs with allErrors (every missing field at
 * once) and verbose (the failing schema, to name allowed values and fields); this turns its raw
 * list into one line per problem: a wrong enum value lists the allowed values once (not "must be
 * equal to constant" per literal), an unknown field is named with the fields that are allowed,
 * missing required fields come together. The list is capped, so a huge bad body cannot make a
 * huge answer.
 */
import type { FastifySchemaValidationError } from 'fastify';

export interface FieldError {
  /** JSON pointer of the field, e.g. /machinery/0/condition. */
  path: string;
  message: string;
  /** For enum-like fields: the values that are accepted. */
  allowedValues?: unknown[];
  /** For an unknown field: the fields that are accepted there. */
  allowedFields?: string[];
}

const MAX_ERRORS = 50;
const MAX_LISTED = 30;

type AjvError = FastifySchemaValidationError & { parentSchema?: Record<string, unknown>; schema?: unknown };

const list = (values: unknown[]) => {
  const shown = values.slice(0, MAX_LISTED).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return shown.join(', ') + (values.length > MAX_LISTED ? `, … (${values.length - MAX_LISTED} more)` : '');
};

const child = (path: string, key: string) => `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** A short, printable field name for a JSON pointer ("(root)" for the whole document). */
const shown = (path: string) => (path === '' ? '(root)' : path);

export function formatValidationErrors(errors: readonly FastifySchemaValidationError[], context?: string): { message: string; errors: FieldError[] } {
  const all = errors as readonly AjvError[];
  const order = new Map<AjvError, number>(all.map((e, i) => [e, i]));
  // Each line remembers the first raw error it stands for: lines come in the order of the body.
  const out: Array<FieldError & { at?: number }> = [];
  const consumed = new Set<AjvError>();

  // Errors by field, so grouping stays linear in the number of errors (a huge bad body has many).
  const byPath = new Map<string, AjvError[]>();
  for (const e of all) {
    const list = byPath.get(e.instancePath);
    if (list) list.push(e);
    else byPath.set(e.instancePath, [e]);
  }

  // anyOf of literals (TypeBox unions) or of simple types: one line with what is accepted.
  for (const e of all) {
    if (e.keyword !== 'anyOf') continue;
    const prefix = `${e.schemaPath}/`;
    const branches = byPath.get(e.instancePath)!.filter((b) => b !== e && b.schemaPath.startsWith(prefix));
    const simple = branches.length > 0 && branches.every((b) => ['const', 'enum', 'type'].includes(b.keyword));
    if (!simple) {
      // Object branches: their own errors are the specific ones; the anyOf line adds nothing.
      consumed.add(e);
      continue;
    }
    const values: unknown[] = [];
    const types: string[] = [];
    for (const b of branches) {
      consumed.add(b);
      const p = b.params as { allowedValue?: unknown; allowedValues?: unknown[]; type?: string };
      if (b.keyword === 'const') values.push(p.allowedValue);
      else if (b.keyword === 'enum') values.push(...(p.allowedValues ?? []));
      else if (p.type) types.push(p.type);
    }
    consumed.add(e);
    const parts = [...(values.length ? [`one of: ${list(values)}`] : []), ...types];
    out.push({
      at: Math.min(order.get(e)!, ...branches.map((b) => order.get(b)!)),
      path: e.instancePath,
      message: `${shown(e.instancePath)} must be ${parts.join(' or ')}`,
      ...(values.length ? { allowedValues: values } : {}),
    });
  }

  const missing: string[] = [];
  for (const e of all) {
    if (consumed.has(e)) continue;
    const params = e.params as Record<string, unknown>;
    const before = out.length;
    switch (e.keyword) {
      case 'required': {
        const path = child(e.instancePath, String(params.missingProperty));
        missing.push(path);
        out.push({ path, message: `${path} is required` });
        break;
      }
      case 'additionalProperties': {
        const path = child(e.instancePath, String(params.additionalProperty));
        const props = e.parentSchema?.properties as Record<string, unknown> | undefined;
        const allowedFields = props ? Object.keys(props) : undefined;
        out.push({
          path,
          message: `unknown field "${String(params.additionalProperty)}" in ${shown(e.instancePath)}${allowedFields ? `; allowed fields: ${list(allowedFields)}` : ''}`,
          ...(allowedFields ? { allowedFields } : {}),
        });
        break;
      }
      case 'enum': {
        const allowedValues = (params.allowedValues as unknown[]) ?? [];
        out.push({ path: e.instancePath, message: `${shown(e.instancePath)} must be one of: ${list(allowedValues)}`, allowedValues });
        break;
      }
      case 'const':
        out.push({ path: e.instancePath, message: `${shown(e.instancePath)} must be ${JSON.stringify(params.allowedValue)}`, allowedValues: [params.allowedValue] });
        break;
      case 'format':
        out.push({ path: e.instancePath, message: `${shown(e.instancePath)} must be a valid ${String(params.format)}${params.format === 'uuid' ? ' (e.g. 3f2b6c1e-8a4d-4e0b-9c55-0d8a1e2f4b61)' : params.format === 'date-time' ? ' (ISO 8601, e.g. 2026-05-01T09:00:00Z)' : ''}` });
        break;
      default:
        out.push({ path: e.instancePath, message: `${shown(e.instancePath)} ${e.message ?? 'is invalid'}` });
    }
    for (let i = before; i < out.length; i++) out[i]!.at = order.get(e);
  }
  out.sort((a, b) => (a.at ?? 0) - (b.at ?? 0));

  // The same line can arise twice (a field failing in several branches).
  const seen = new Set<string>();
  const unique: FieldError[] = [];
  for (const { at: _at, ...f } of out) {
    const key = f.path + '\n' + f.message;
    if (!seen.has(key)) {
      seen.add(key);
      unique.push(f);
    }
  }
  const capped = unique.slice(0, MAX_ERRORS);
  const where = context ? `${context}: ` : '';
  const head =
    missing.length > 1 && missing.length === unique.length
      ? `missing required fields: ${list(missing)}`
      : capped
          .slice(0, 5)
          .map((f) => f.message)
          .join('; ') + (unique.length > 5 ? `; and ${unique.length - 5} more problem(s), listed in errors` : '');
  return { message: `Invalid ${where}${head}`, errors: capped };
}
