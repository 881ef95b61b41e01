/**
 * The database schema (drizzle-orm). SQL migrations in db/migrations are generated from this
 * file by `npm run db:generate` and committed; hand-written SQL (triggers, grants) lives in
 * custom migrations beside them.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const projects = pgTable(
  'projects',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    code: text('code').notNull().unique(),
    organisation: text('organisation').notNull(),
    name: text('name').notNull(),
    state: text('state').notNull(),
    revision: integer('revision').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('projects_organisation_idx').on(t.organisation),
    check('projects_revision_positive', sql`${t.revision} > 0`),
  ],
);
