/**
 * The database schema (drizzle-orm). SQL migrations in db/migrations are generated from this
 * file by `npm run db:generate` and committed; hand-written SQL (triggers, grants) lives in
 * custom migrations beside them (drizzle-kit generate --custom).
 *
 * Conventions: times are timestamptz (UTC), money is an integer (VND, bigint), every foreign key
 * is indexed, invariants are checked here as well as in code.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  smallint,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

/** People seen in verified tokens: who they are, which organisation, which roles. */
export const principals = pgTable('principals', {
  sub: text('sub').primaryKey(),
  organisation: text('organisation'),
  roles: text('roles').array().notNull(),
  displayName: text('display_name'),
  firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
});

export const projects = pgTable(
  'projects',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    code: text('code').notNull().unique(),
    organisation: text('organisation').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    sector: text('sector').notNull(),
    location: text('location').notNull(),
    capitalVnd: bigint('capital_vnd', { mode: 'bigint' }).notNull(),
    stage: text('stage').notNull(),
    projectGroup: text('project_group').notNull(),
    capitalSource: text('capital_source').notNull(),
    decidingLevel: text('deciding_level').notNull(),
    environmentalRisk: boolean('environmental_risk').notNull(),
    technologyAsCapital: boolean('technology_as_capital').notNull().default(false),
    /** Group under the Law on Environmental Protection 2020 (I–IV); null for projects registered before it was asked. */
    environmentalGroup: text('environmental_group'),
    /** In a high-tech zone: criterion 19.1(g) applies. */
    highTechZone: boolean('high_tech_zone').notNull().default(false),
    /** Construction investment project (Art. 13.3); null when not declared (investment-policy stage). */
    construction: boolean('construction'),
    /** The rulebook version the project keeps from the acceptance of its complete dossier (transitional rule). */
    rulebookVersion: text('rulebook_version').references(() => rulebooks.version),
    rulebookPinnedAt: timestamp('rulebook_pinned_at', { withTimezone: true }),
    state: text('state').notNull(),
    /** The machine snapshot: { machineId, machineVersion, state, context }. */
    snapshot: jsonb('snapshot').notNull(),
    machineId: text('machine_id').notNull(),
    machineVersion: integer('machine_version').notNull(),
    round: integer('round').notNull().default(1),
    appraisalMode: text('appraisal_mode'),
    createdBy: text('created_by').notNull(),
    revision: integer('revision').notNull().default(1),
    /**
     * Head of the project's audit chain, kept on the row every command already locks: an
     * UPDATE … RETURNING then reads the current head under that lock, in the same round trip.
     */
    chainSeq: integer('chain_seq').notNull().default(0),
    chainHead: text('chain_head'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    /** Name and tracking code without diacritics or case, for `q` (search_normalise, migration 0009). */
    searchText: text('search_text').generatedAlwaysAs(sql`search_normalise(name || ' ' || code)`),
  },
  (t) => [
    index('projects_search_trgm_idx').using('gin', t.searchText.op('gin_trgm_ops')),
    check('projects_chain_head_present', sql`(${t.chainSeq} = 0) = (${t.chainHead} is null)`),
    index('projects_organisation_idx').on(t.organisation),
    index('projects_state_idx').on(t.state),
    index('projects_created_idx').on(t.createdAt.desc(), t.id.desc()),
    check('projects_revision_positive', sql`${t.revision} > 0`),
    check('projects_capital_nonnegative', sql`${t.capitalVnd} >= 0`),
    check(
      'projects_state_known',
      sql`${t.state} in ('draft','screening','completeness_review','awaiting_supplement','under_appraisal','appraised','approved','rejected','withdrawn')`,
    ),
    check('projects_state_matches_snapshot', sql`${t.snapshot}->>'state' = ${t.state}`),
    check('projects_stage_known', sql`${t.stage} in ('investment_policy','investment_decision')`),
    check('projects_group_known', sql`${t.projectGroup} in ('national_key','A','B','C')`),
    check('projects_mode_known', sql`${t.appraisalMode} is null or ${t.appraisalMode} in ('opinion','council')`),
    check('projects_environmental_group_known', sql`${t.environmentalGroup} is null or ${t.environmentalGroup} in ('I','II','III','IV')`),
    check('projects_rulebook_pin_complete', sql`(${t.rulebookVersion} is null) = (${t.rulebookPinnedAt} is null)`),
    index('projects_rulebook_idx').on(t.rulebookVersion),
  ],
);

/** Sequential tracking codes per prefix and year (QN-2026-000123), gapless: taken inside the creating transaction. */
export const trackingCodeCounters = pgTable(
  'tracking_code_counters',
  {
    prefix: text('prefix').notNull(),
    year: integer('year').notNull(),
    lastNumber: integer('last_number').notNull(),
  },
  (t) => [primaryKey({ columns: [t.prefix, t.year] })],
);

/** Stored responses of commands sent with an Idempotency-Key, per caller. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    principalSub: text('principal_sub').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status').notNull(),
    responseBody: jsonb('response_body').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.principalSub, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);

/**
 * The audit log: append-only (triggers reject UPDATE, DELETE, TRUNCATE), one hash chain per
 * project plus a 'system' chain. row_hash = SHA-256(prev_hash ‖ SHA-256(RFC 8785 JSON of the event)).
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    // Taken with nextval() before the insert, because the hashed event includes it.
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    chainId: text('chain_id').notNull(),
    chainSeq: integer('chain_seq').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    actorSub: text('actor_sub').notNull(),
    actorRoles: text('actor_roles').array().notNull(),
    actorOrg: text('actor_org'),
    action: text('action').notNull(),
    projectId: uuid('project_id').references(() => projects.id),
    fromState: text('from_state'),
    toState: text('to_state'),
    revision: integer('revision'),
    machineId: text('machine_id'),
    machineVersion: integer('machine_version'),
    requestId: text('request_id'),
    idempotencyKey: text('idempotency_key'),
    payload: jsonb('payload').notNull(),
    prevHash: text('prev_hash').notNull().unique('audit_events_prev_hash_unique'),
    rowHash: text('row_hash').notNull().unique('audit_events_row_hash_unique'),
  },
  (t) => [
    uniqueIndex('audit_events_chain_idx').on(t.chainId, t.chainSeq),
    index('audit_events_project_idx').on(t.projectId, t.seq),
    index('audit_events_actor_idx').on(t.actorSub, t.seq),
    index('audit_events_action_idx').on(t.action, t.seq),
    index('audit_events_time_idx').on(t.occurredAt, t.seq),
    // An action within a time window (the frequent-action searches) reads only its own matches.
    index('audit_events_action_time_idx').on(t.action, t.occurredAt, t.seq),
    check('audit_events_chain_seq_positive', sql`${t.chainSeq} > 0`),
    check('audit_events_hashes_hex', sql`${t.prevHash} ~ '^[0-9a-f]{64}$' and ${t.rowHash} ~ '^[0-9a-f]{64}$'`),
    check('audit_events_project_chain', sql`${t.projectId} is null or ${t.chainId} = ${t.projectId}::text`),
  ],
);

/** The head of each chain that is not a project's (the 'system' chain); project heads live on projects. */
export const auditChainHeads = pgTable('audit_chain_heads', {
  chainId: text('chain_id').primaryKey(),
  chainSeq: integer('chain_seq').notNull(),
  rowHash: text('row_hash').notNull(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
});

/** Effects to perform after commit (notifications …), claimed by workers with SKIP LOCKED. */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
    availableAt: timestamp('available_at', { withTimezone: true }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    processedAt: timestamp('processed_at', { withTimezone: true }),
    lastError: text('last_error'),
  },
  (t) => [index('outbox_pending_idx').on(t.availableAt).where(sql`${t.processedAt} is null`)],
);

/** In-app notifications produced from the outbox: to one person, or to everyone with a role. */
export const notifications = pgTable(
  'notifications',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    outboxId: bigint('outbox_id', { mode: 'number' }).notNull().unique(),
    projectId: uuid('project_id').references(() => projects.id),
    recipientSub: text('recipient_sub'),
    recipientRole: text('recipient_role'),
    recipientOrg: text('recipient_org'),
    kind: text('kind').notNull(),
    message: text('message').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('notifications_project_idx').on(t.projectId),
    index('notifications_recipient_idx').on(t.recipientSub, t.id),
    index('notifications_role_idx').on(t.recipientRole, t.id),
    check('notifications_has_recipient', sql`${t.recipientSub} is not null or ${t.recipientRole} is not null`),
  ],
);

/** Appraisers assigned to a project, per appraisal round. */
export const assignments = pgTable(
  'assignments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    round: integer('round').notNull(),
    appraiserSub: text('appraiser_sub').notNull(),
    appraiserOrg: text('appraiser_org'),
    assignedBy: text('assigned_by').notNull(),
    status: text('status').notNull().default('active'),
    createdAt: createdAt(),
  },
  (t) => [
    index('assignments_project_idx').on(t.projectId, t.round),
    index('assignments_appraiser_idx').on(t.appraiserSub, t.projectId),
    uniqueIndex('assignments_active_unique').on(t.projectId, t.round, t.appraiserSub).where(sql`${t.status} = 'active'`),
    check('assignments_status_known', sql`${t.status} in ('active','recused','replaced')`),
  ],
);

/** Conflict-of-interest declarations: the appraiser may not be assigned to, or give an opinion on, the project. */
export const conflictDeclarations = pgTable(
  'conflict_declarations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    appraiserSub: text('appraiser_sub').notNull(),
    statement: text('statement').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('conflict_declarations_unique').on(t.projectId, t.appraiserSub)],
);

/** Technology and machinery declarations; each change is a new version, the highest is current. */
export const technologyDeclarations = pgTable(
  'technology_declarations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    version: integer('version').notNull(),
    content: jsonb('content').notNull(),
    declaredBy: text('declared_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('technology_declarations_version_unique').on(t.projectId, t.version), check('technology_declarations_version_positive', sql`${t.version} > 0`)],
);

/** Versioned rulebooks (the law changes): immutable once published, in force from effective_from. */
export const rulebooks = pgTable(
  'rulebooks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    version: text('version').notNull().unique(),
    effectiveFrom: date('effective_from', { mode: 'string' }).notNull(),
    title: text('title').notNull(),
    content: jsonb('content').notNull(),
    publishedBy: text('published_by').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('rulebooks_effective_idx').on(t.effectiveFrom.desc(), t.publishedAt.desc())],
);

/**
 * Dossier files. A row is 'pending' while its object is being written, then 'active'; a newer
 * upload of the same component makes it 'superseded' (still readable, never overwritten).
 */
export const documents = pgTable(
  'documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    component: text('component').notNull(),
    version: integer('version'),
    status: text('status').notNull(),
    objectKey: text('object_key').notNull().unique(),
    sha256: text('sha256'),
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    mediaType: text('media_type'),
    originalName: text('original_name').notNull(),
    uploadedBy: text('uploaded_by').notNull(),
    createdAt: createdAt(),
    committedAt: timestamp('committed_at', { withTimezone: true }),
    supersededAt: timestamp('superseded_at', { withTimezone: true }),
    /** Virus scan of the bytes on their way in: 'clean' (with engine and signature versions) or 'not_scanned'. */
    scanStatus: text('scan_status').notNull().default('not_scanned'),
    scanEngine: text('scan_engine'),
    scanSignatures: text('scan_signatures'),
    scannedAt: timestamp('scanned_at', { withTimezone: true }),
    /** While a pending upload streams, touched every so often, so the sweeper leaves it alone. */
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }),
  },
  (t) => [
    index('documents_project_idx').on(t.projectId, t.component),
    check('documents_scan_status_known', sql`${t.scanStatus} in ('clean','not_scanned')`),
    check('documents_scan_clean_complete', sql`${t.scanStatus} <> 'clean' or (${t.scanEngine} is not null and ${t.scannedAt} is not null)`),
    uniqueIndex('documents_one_active_per_component').on(t.projectId, t.component).where(sql`${t.status} = 'active'`),
    uniqueIndex('documents_version_unique').on(t.projectId, t.component, t.version),
    index('documents_pending_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
    check('documents_status_known', sql`${t.status} in ('pending','active','superseded')`),
    check(
      'documents_committed_complete',
      sql`${t.status} = 'pending' or (${t.version} > 0 and ${t.sha256} ~ '^[0-9a-f]{64}$' and ${t.sizeBytes} >= 0 and ${t.mediaType} is not null and ${t.committedAt} is not null)`,
    ),
  ],
);

/** One screening per submission/resubmission, under the rulebook in force then. */
export const screenings = pgTable(
  'screenings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    round: integer('round').notNull(),
    rulebookVersion: text('rulebook_version')
      .notNull()
      .references(() => rulebooks.version),
    declarationVersion: integer('declaration_version').notNull(),
    /** Which appraisal the law asks for (Arts. 13-15): { required, mode, body, reason, citation }. */
    route: jsonb('route').notNull(),
    screenedAt: timestamp('screened_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('screenings_project_idx').on(t.projectId, t.screenedAt.desc()), index('screenings_rulebook_idx').on(t.rulebookVersion)],
);

export const findings = pgTable(
  'findings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    screeningId: uuid('screening_id')
      .notNull()
      .references(() => screenings.id),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    ruleId: text('rule_id').notNull(),
    severity: text('severity').notNull(),
    subject: text('subject').notNull(),
    evidence: text('evidence').notNull(),
    citation: text('citation').notNull(),
    ref: jsonb('ref').notNull(),
    /** False when the rulebook entry behind the finding is unverified; null for findings stored before the mark existed. */
    verified: boolean('verified'),
    note: text('note'),
    position: integer('position').notNull(),
  },
  (t) => [
    index('findings_screening_idx').on(t.screeningId, t.position),
    index('findings_project_idx').on(t.projectId),
    check('findings_severity_known', sql`${t.severity} in ('prohibited','restricted','outdated','info')`),
  ],
);

/** The appraisal of one round: opinion or council, how many current opinions it needs, its conclusion. */
export const appraisals = pgTable(
  'appraisals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    round: integer('round').notNull(),
    mode: text('mode').notNull(),
    status: text('status').notNull().default('open'),
    requiredOpinions: integer('required_opinions'),
    conclusion: text('conclusion'),
    tally: jsonb('tally'),
    concludedAt: timestamp('concluded_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('appraisals_round_unique').on(t.projectId, t.round),
    check('appraisals_mode_known', sql`${t.mode} in ('opinion','council')`),
    check('appraisals_status_known', sql`${t.status} in ('open','concluded')`),
    check(
      'appraisals_concluded_complete',
      sql`${t.status} = 'open' or (${t.requiredOpinions} >= 1 and ${t.conclusion} in ('approve','approve_with_conditions','reject','no_majority') and ${t.concludedAt} is not null)`,
    ),
  ],
);

/** An appraiser's structured opinion: immutable; marked stale when a document it read is superseded. */
export const opinions = pgTable(
  'opinions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    appraisalId: uuid('appraisal_id')
      .notNull()
      .references(() => appraisals.id),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    appraiserSub: text('appraiser_sub').notNull(),
    appraiserOrg: text('appraiser_org'),
    criteria: jsonb('criteria').notNull(),
    recommendation: text('recommendation').notNull(),
    conditions: jsonb('conditions').notNull(),
    conflictDeclared: boolean('conflict_declared').notNull(),
    /** Why the appraiser recommends rejection (needed when no criterion is does_not_meet). */
    reason: text('reason'),
    /** Required dossier documents not reviewed, each with the reason: [{ component, reason }]. */
    documentsNotReviewed: jsonb('documents_not_reviewed').notNull().default(sql`'[]'::jsonb`),
    stale: boolean('stale').notNull().default(false),
    staleSince: timestamp('stale_since', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('opinions_appraisal_idx').on(t.appraisalId),
    index('opinions_project_idx').on(t.projectId, t.appraiserSub),
    uniqueIndex('opinions_one_current_per_appraiser').on(t.appraisalId, t.appraiserSub).where(sql`not ${t.stale}`),
    check('opinions_recommendation_known', sql`${t.recommendation} in ('approve','approve_with_conditions','reject')`),
    check('opinions_no_conflict', sql`not ${t.conflictDeclared}`),
  ],
);

/** The exact document versions an opinion rests on. */
export const opinionDocuments = pgTable(
  'opinion_documents',
  {
    opinionId: uuid('opinion_id')
      .notNull()
      .references(() => opinions.id),
    documentId: uuid('document_id')
      .notNull()
      .references(() => documents.id),
    sha256: text('sha256').notNull(),
  },
  (t) => [primaryKey({ columns: [t.opinionId, t.documentId] }), index('opinion_documents_document_idx').on(t.documentId)],
);

/** The decision: rests on a concluded appraisal of the project's current round. */
export const decisions = pgTable(
  'decisions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    appraisalId: uuid('appraisal_id')
      .notNull()
      .unique()
      .references(() => appraisals.id),
    outcome: text('outcome').notNull(),
    reasons: jsonb('reasons').notNull(),
    conditions: jsonb('conditions').notNull(),
    decidedBy: text('decided_by').notNull(),
    decidedByOrg: text('decided_by_org'),
    createdAt: createdAt(),
  },
  (t) => [index('decisions_project_idx').on(t.projectId), check('decisions_outcome_known', sql`${t.outcome} in ('approved','approved_with_conditions','rejected')`)],
);

/**
 * Signed checkpoints of the audit chain heads (append-only: triggers reject UPDATE, DELETE,
 * TRUNCATE). The body fields are what the Ed25519 signature covers (checkpoint-signature.ts);
 * created_at keeps milliseconds because it is signed as an ISO string. `heads` is the full list of
 * chain heads, sorted by chain id in byte order, that digests to heads_digest.
 */
export const auditCheckpoints = pgTable(
  'audit_checkpoints',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    reason: text('reason').notNull(),
    seqHighWater: bigint('seq_high_water', { mode: 'number' }).notNull(),
    chainCount: integer('chain_count').notNull(),
    headsDigest: text('heads_digest').notNull(),
    counts: jsonb('counts').notNull(),
    heads: jsonb('heads').notNull(),
    keyId: text('key_id').notNull(),
    signature: text('signature').notNull(),
    // 1: heads = every head, heads_digest = SHA-256 of their sorted lines. 2: heads = only the heads
    // changed since the previous checkpoint (with leafIndex), heads_digest = RFC 6962 Merkle root
    // over all heads in leaf order, previous_id = the checkpoint before (signed).
    version: smallint('version').notNull().default(1),
    previousId: bigint('previous_id', { mode: 'number' }),
  },
  (t) => [
    check('audit_checkpoints_digest_hex', sql`${t.headsDigest} ~ '^[0-9a-f]{64}$'`),
    check('audit_checkpoints_counts_nonnegative', sql`${t.seqHighWater} >= 0 and ${t.chainCount} >= 0`),
    check(
      'audit_checkpoints_heads_listed',
      sql`jsonb_typeof(${t.heads}) = 'array' and (case when ${t.version} = 1 then jsonb_array_length(${t.heads}) = ${t.chainCount} else jsonb_array_length(${t.heads}) <= ${t.chainCount} end)`,
    ),
    check('audit_checkpoints_version_known', sql`${t.version} in (1, 2)`),
    check('audit_checkpoints_previous_before', sql`${t.previousId} is null or ${t.previousId} < ${t.id}`),
  ],
);

/**
 * The leaves of the latest version-2 checkpoint's Merkle tree (one per chain, in leaf order): a
 * cache the checkpoint maker diffs the live heads against in SQL and updates in the checkpoint's
 * own transaction. Not evidence: verifiers rebuild the tree from the checkpoints' changed heads
 * and compare it with the signed root.
 */
export const auditMerkleLeaves = pgTable(
  'audit_merkle_leaves',
  {
    leafIndex: integer('leaf_index').primaryKey(),
    chainId: text('chain_id').notNull().unique('audit_merkle_leaves_chain_unique'),
    chainSeq: integer('chain_seq').notNull(),
    rowHash: text('row_hash').notNull(),
  },
  (t) => [check('audit_merkle_leaves_index_nonnegative', sql`${t.leafIndex} >= 0`)],
);

/**
 * Working-day calendar years (issue #11). A year is published as a version and never edited:
 * a correction is the next version of the same year, which supersedes the previous one
 * (triggers reject UPDATE, DELETE and TRUNCATE, and entries added to a version after it was
 * published).
 */
export const calendarVersions = pgTable(
  'calendar_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    year: integer('year').notNull(),
    version: integer('version').notNull(),
    /** The official notice(s) the year comes from. */
    notice: text('notice').notNull(),
    supersedesId: uuid('supersedes_id').references((): AnyPgColumn => calendarVersions.id),
    publishedBy: text('published_by').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('calendar_versions_year_version_unique').on(t.year, t.version),
    index('calendar_versions_supersedes_idx').on(t.supersedesId),
    check('calendar_versions_year_range', sql`${t.year} between 2000 and 2100`),
    check('calendar_versions_version_positive', sql`${t.version} > 0`),
    check('calendar_versions_supersedes_first', sql`(${t.version} = 1) = (${t.supersedesId} is null)`),
  ],
);

/** The dated exceptions to the Monday–Friday week of one calendar version. */
export const calendarEntries = pgTable(
  'calendar_entries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    calendarVersionId: uuid('calendar_version_id')
      .notNull()
      .references(() => calendarVersions.id),
    date: date('date', { mode: 'string' }).notNull(),
    kind: text('kind').notNull(),
    name: text('name').notNull(),
    source: text('source').notNull(),
    verified: boolean('verified').notNull(),
    note: text('note'),
  },
  (t) => [
    uniqueIndex('calendar_entries_version_date_unique').on(t.calendarVersionId, t.date),
    check('calendar_entries_kind_known', sql`${t.kind} in ('public_holiday','compensatory_day_off','swapped_working_day','swapped_day_off')`),
    check('calendar_entries_source_given', sql`length(btrim(${t.source})) > 0`),
    check('calendar_entries_unverified_noted', sql`${t.verified} or length(btrim(coalesce(${t.note}, ''))) > 0`),
    check(
      'calendar_entries_kind_fits_weekday',
      sql`case when ${t.kind} = 'swapped_working_day' then extract(isodow from ${t.date}) in (6, 7)
               when ${t.kind} in ('swapped_day_off','compensatory_day_off') then extract(isodow from ${t.date}) between 1 and 5
               else true end`,
    ),
  ],
);

/**
 * Issued one-stop slips and result documents (PDF objects in storage). Immutable once issued
 * (triggers reject UPDATE, DELETE and TRUNCATE); a correction is a new slip referring to the old.
 * Numbered per form and year (slip_counters). `sha256` is the file's; `content_sha256` is the
 * canonical view model's, from which the printed verification code is derived.
 */
export const slips = pgTable(
  'slips',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    form: text('form').notNull(),
    year: integer('year').notNull(),
    number: integer('number').notNull(),
    objectKey: text('object_key').notNull().unique(),
    sha256: text('sha256').notNull().unique(),
    contentSha256: text('content_sha256').notNull(),
    verificationCode: text('verification_code').notNull().unique(),
    sizeBytes: integer('size_bytes').notNull(),
    view: jsonb('view').notNull(),
    correctsSlipId: uuid('corrects_slip_id').references((): AnyPgColumn => slips.id),
    issuedBy: text('issued_by').notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    uniqueIndex('slips_form_year_number_unique').on(t.form, t.year, t.number),
    index('slips_project_idx').on(t.projectId, t.issuedAt),
    index('slips_corrects_idx').on(t.correctsSlipId),
    check('slips_form_known', sql`${t.form} in ('receipt','supplementation_request','refusal','apology','process_control','result')`),
    check('slips_number_positive', sql`${t.number} > 0 and ${t.sizeBytes} > 0`),
    check('slips_hashes_hex', sql`${t.sha256} ~ '^[0-9a-f]{64}$' and ${t.contentSha256} ~ '^[0-9a-f]{64}$'`),
  ],
);

/** The last number issued per form and year (slips are numbered 1, 2, … each year). */
export const slipCounters = pgTable(
  'slip_counters',
  {
    form: text('form').notNull(),
    year: integer('year').notNull(),
    lastNumber: integer('last_number').notNull(),
  },
  (t) => [primaryKey({ columns: [t.form, t.year] }), check('slip_counters_positive', sql`${t.lastNumber} > 0`)],
);

/**
 * Refused commands, counted per caller, project and window instead of one audit event each: a
 * flood cannot grow the log. The first refusal of a window appends one `access.denied` event
 * (audit_seq); the row keeps how many followed, which actions and codes, and when the last was.
 */
export const accessDenialWindows = pgTable(
  'access_denial_windows',
  {
    principalSub: text('principal_sub').notNull(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
    count: integer('count').notNull(),
    /** { action: count } and { code: count } over the window. */
    actions: jsonb('actions').notNull(),
    codes: jsonb('codes').notNull(),
    firstAt: timestamp('first_at', { withTimezone: true, precision: 3 }).notNull(),
    lastAt: timestamp('last_at', { withTimezone: true, precision: 3 }).notNull(),
    lastRequestId: text('last_request_id'),
    auditSeq: bigint('audit_seq', { mode: 'number' }),
  },
  (t) => [
    primaryKey({ columns: [t.principalSub, t.projectId, t.windowStart] }),
    index('access_denial_windows_project_idx').on(t.projectId, t.windowStart),
    check('access_denial_windows_count_positive', sql`${t.count} > 0`),
  ],
);

/**
 * Accounts of the embedded OpenID provider (web sign-in). In the database, not under DATA_DIR,
 * so that several replicas share them. Passwords are scrypt hashes (memory-hard, no dependency)
 * in the self-describing form `scrypt$N$r$p$salt$hash`; a one-time password must be changed at
 * first sign-in. With OIDC_ISSUER set this table is unused: the external provider owns people.
 */
export const accounts = pgTable(
  'accounts',
  {
    sub: text('sub').primaryKey(),
    passwordHash: text('password_hash').notNull(),
    roles: text('roles').array().notNull(),
    organisation: text('organisation'),
    displayName: text('display_name'),
    mustChangePassword: boolean('must_change_password').notNull().default(true),
    disabled: boolean('disabled').notNull().default(false),
    failedAttempts: integer('failed_attempts').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('accounts_sub_shape', sql`${t.sub} ~ '^[A-Za-z0-9._@-]{1,100}$'`),
    check('accounts_has_role', sql`cardinality(${t.roles}) >= 1`),
    check('accounts_roles_known', sql`${t.roles} <@ array['investor','clerk','appraiser','approver','auditor','admin']::text[]`),
    check('accounts_password_hash_shape', sql`${t.passwordHash} like 'scrypt$%'`),
    check('accounts_investor_has_org', sql`not ('investor' = any(${t.roles})) or ${t.organisation} is not null`),
  ],
);

/**
 * The embedded OpenID provider's short-lived records (interactions, authorization codes,
 * provider sessions, grants), shared by replicas. Expired rows are ignored on read and removed
 * by the provider's own destroy calls and a periodic clean-up.
 */
export const oidcRecords = pgTable(
  'oidc_records',
  {
    model: text('model').notNull(),
    id: text('id').notNull(),
    payload: jsonb('payload').notNull(),
    grantId: text('grant_id'),
    uid: text('uid'),
    userCode: text('user_code'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    consumedAt: timestamp('consumed_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.model, t.id] }),
    index('oidc_records_grant_id_idx').on(t.grantId),
    index('oidc_records_uid_idx').on(t.uid),
    index('oidc_records_user_code_idx').on(t.userCode),
    index('oidc_records_expires_at_idx').on(t.expiresAt),
  ],
);

/**
 * Statutory deadlines: one row per step of the procedure and round, opened, paused, resumed and
 * closed in the transaction of the command that causes it (docs/clock.md "Deadlines"). The row
 * keeps every input of the computation (start, unit, limit, extension, pauses, calendar versions),
 * so the same answer can be computed again later. `due_at` is null only while paused.
 */
export const deadlines = pgTable(
  'deadlines',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id),
    round: integer('round').notNull(),
    /** The rulebook step: forward_to_reviewer, opinion, appraisal. */
    step: text('step').notNull(),
    rulebookVersion: text('rulebook_version').notNull(),
    timeLimitId: text('time_limit_id').notNull(),
    citation: text('citation').notNull(),
    verified: boolean('verified').notNull(),
    unit: text('unit').notNull(),
    periodLimit: integer('period_limit').notNull(),
    /** Days added by an extension (Art. 18.1(d)), with its written notice. */
    extensionDays: integer('extension_days').notNull().default(0),
    extensionNotice: text('extension_notice'),
    extendedAt: timestamp('extended_at', { withTimezone: true, precision: 3 }),
    extendedBy: text('extended_by'),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull(),
    /** Closed pause intervals [{ from, to }] (ISO instants). */
    pauses: jsonb('pauses').notNull().default(sql`'[]'::jsonb`),
    /** The open pause, if the clock stands still now. */
    pausedSince: timestamp('paused_since', { withTimezone: true, precision: 3 }),
    dueAt: timestamp('due_at', { withTimezone: true, precision: 3 }),
    /** The calendar year versions the due date was computed with, e.g. "2026.1" or "2026.1,2027.1". */
    calendarVersion: text('calendar_version').notNull(),
    status: text('status').notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true, precision: 3 }),
    /** What closed it (the audit action), e.g. appraisers.assigned, decision.recorded, project.withdrawn. */
    closedBy: text('closed_by'),
    dueSoonNotifiedAt: timestamp('due_soon_notified_at', { withTimezone: true, precision: 3 }),
    overdueMarkedAt: timestamp('overdue_marked_at', { withTimezone: true, precision: 3 }),
    /** The apology (Mẫu 04) drafted for the clerk before the due date, and the proposed new date. */
    apologyDraftedAt: timestamp('apology_drafted_at', { withTimezone: true, precision: 3 }),
    apologyProposedDate: date('apology_proposed_date'),
    /** The new appointment date once the clerk issued the apology. */
    rescheduledTo: date('rescheduled_to'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('deadlines_project_idx').on(t.projectId, t.round),
    // At most one open row per project and step.
    uniqueIndex('deadlines_one_open_per_step').on(t.projectId, t.step).where(sql`${t.closedAt} is null`),
    index('deadlines_open_due_idx').on(t.dueAt).where(sql`${t.closedAt} is null`),
    check('deadlines_unit_known', sql`${t.unit} in ('working_days','calendar_days')`),
    check('deadlines_limit_positive', sql`${t.periodLimit} > 0 and ${t.extensionDays} >= 0`),
    check('deadlines_status_known', sql`${t.status} in ('running','paused','met','overdue')`),
    check(
      'deadlines_status_consistent',
      sql`case ${t.status}
        when 'running' then ${t.closedAt} is null and ${t.pausedSince} is null and ${t.dueAt} is not null
        when 'paused' then ${t.closedAt} is null and ${t.pausedSince} is not null and ${t.dueAt} is null
        when 'met' then ${t.closedAt} is not null and ${t.dueAt} is not null and ${t.closedAt} <= ${t.dueAt}
        when 'overdue' then ${t.dueAt} is not null and ${t.pausedSince} is null and (${t.closedAt} is null or ${t.closedAt} > ${t.dueAt})
      end`,
    ),
    check('deadlines_extension_has_notice', sql`(${t.extensionDays} = 0) = (${t.extensionNotice} is null)`),
    check('deadlines_closed_after_start', sql`${t.closedAt} is null or ${t.closedAt} >= ${t.startedAt}`),
  ],
);
