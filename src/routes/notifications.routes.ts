import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sql } from 'drizzle-orm';
import type { Db } from '../infra/database';
import { errorResponses } from '../http/schemas';
import { principalOf } from '../http/access-control';
import { visibleProjectsCondition } from '../modules/projects/project-access';

const Notification = Type.Object({
  id: Type.Integer(),
  projectId: Type.Union([Type.String(), Type.Null()]),
  kind: Type.String(),
  message: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

/** The caller's in-app notifications: addressed to them, or to one of their roles (within their organisation where set). */
export const notificationRoutes: FastifyPluginAsync<{ db: Db }> = async (fastify, { db }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/v1/notifications',
    {
      config: { access: { roles: 'any', write: false } },
      schema: {
        operationId: 'listNotifications',
        tags: ['notifications'],
        summary: 'Notifications for the caller, newest first',
        querystring: Type.Object(
          { after: Type.Optional(Type.Integer({ minimum: 0, description: 'Only notifications with a larger id' })), limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(Notification) }), ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const roles = `{${p.roles.join(',')}}`;
      const rows = (await db.execute(sql`
        select n.id, n.project_id, n.kind, n.message, n.created_at
        from notifications n
        left join projects on projects.id = n.project_id
        where (n.recipient_sub = ${p.sub}
               or (n.recipient_role = any(${roles}::text[]) and (n.recipient_org is null or n.recipient_org = ${p.org})))
          and (n.project_id is null or ${visibleProjectsCondition(p)})
          and n.id > ${request.query.after ?? 0}
        order by n.id desc
        limit ${request.query.limit}
      `)) as unknown as Array<{ id: string | number; project_id: string | null; kind: string; message: string; created_at: string | Date }>;
      return {
        items: rows.map((r) => ({ id: Number(r.id), projectId: r.project_id, kind: r.kind, message: r.message, createdAt: new Date(r.created_at).toISOString() })),
      };
    },
  );
};
