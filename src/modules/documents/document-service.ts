/**
 * Dossier documents: streamed, verified, versioned uploads that are never lost or half-written.
 *
 * Crash consistency, in this order:
 *  1. a 'pending' row is committed (it names the generated object key);
 *  2. the bytes stream to object storage (type sniffed from the first bytes, size limited,
 *     SHA-256 computed on the way), never held in memory;
 *  3. one transaction runs the upload command: the workflow check, the audit event, the
 *     previous version superseded and the row turned 'active'.
 * On any failure the object and the pending row are removed; what a crash leaves behind (a
 * pending row, an object without a row) the sweeper removes once it is older than a threshold.
 * So there is never an active row without its object, nor (after a sweep) an object without a row.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../infra/database';
import type { ObjectStorage } from '../../infra/object-storage';
import type { Principal } from '../../auth/token-verifier';
import { AppError, ConflictError, ForbiddenError, InvalidTransitionError, NotFoundError, ServiceUnavailableError, UnprocessableError, UnsupportedMediaTypeError, ValidationError } from '../../errors';
import { allowedActions, type PersistedAppraisal } from '../../../workflows/appraisal/appraisal.machine';
import { documents } from '../../../db/schema';
import { actorFacts, loadVisibleProject } from '../projects/project-access';
import type { ProjectService } from '../projects/project-service';
import type { CommandMeta } from '../projects/project-command';
import type { RulebookService } from '../rulebook/rulebook-service';
import { dossierChecklist } from './dossier-checklist';
import { contentDispositionFor, sanitiseFileName } from './file-name';
import { checkType, sniff, SNIFF_BYTES } from './media-types';
import { ClientAbortedError, createHashingCounter, createHeadCapture, createSizeLimiter, FileTooLargeError, StallTimeout } from './upload-streams';
import { createEmbeddedContentInspector } from './embedded-content';
import { createVirusScanner, scanFailure, VirusFoundError, type ScanOutcome, type VirusScanner } from './virus-scan';
import { isStorageConnectionError, withStorageTimeout } from '../../infra/object-storage';
import { appendAuditEvent } from '../audit/audit-writer';
import { observe } from '../../infra/metrics-observer';

/** How often a streaming upload tells the sweeper it is alive. */
const HEARTBEAT_MS = 30_000;

export interface DocumentView {
  id: string;
  projectId: string;
  component: string;
  version: number;
  status: 'active' | 'superseded';
  sha256: string;
  size: number;
  mediaType: string;
  originalName: string;
  uploadedBy: string;
  uploadedAt: string;
  supersededAt: string | null;
  /** The virus scan the bytes passed on their way in, or 'not_scanned' (no scanner configured). */
  scan: { status: 'clean'; engine: string; signatures: string | null; scannedAt: string } | { status: 'not_scanned' };
}

export interface IncomingFile {
  component: string;
  fileName: string;
  /** Client-declared SHA-256 (hex); the upload fails if the bytes differ. */
  declaredSha256?: string;
  stream: Readable;
  /** True when the parser cut the file at its size limit. */
  truncated?: () => boolean;
}

type DocumentRow = typeof documents.$inferSelect;

function toView(d: DocumentRow): DocumentView {
  return {
    scan: d.scanStatus === 'clean'
      ? { status: 'clean', engine: d.scanEngine!, signatures: d.scanSignatures ?? null, scannedAt: d.scannedAt!.toISOString() }
      : { status: 'not_scanned' },
    id: d.id,
    projectId: d.projectId,
    component: d.component,
    version: d.version!,
    status: d.status as DocumentView['status'],
    sha256: d.sha256!,
    size: d.sizeBytes!,
    mediaType: d.mediaType!,
    originalName: d.originalName,
    uploadedBy: d.uploadedBy,
    uploadedAt: d.committedAt!.toISOString(),
    supersededAt: d.supersededAt?.toISOString() ?? null,
  };
}

/** A component id the dossier knows: any stage's component of any rulebook, or 'supporting_document'. */
export const EXTRA_COMPONENTS = ['supporting_document'];

export interface DocumentServiceDeps {
  db: Db;
  storage: ObjectStorage;
  projects: ProjectService;
  rulebooks: RulebookService;
  maxBytes: number;
  /** 408 after this long without a byte of the body (default 30 s). */
  stallTimeoutMs?: number;
  /** Pending uploads with no sign of life for this long are swept (default 10 min). */
  abandonedAfterMs?: number;
  /** Virus scanning; none: documents are recorded 'not_scanned'. */
  scanner?: VirusScanner;
  clock: () => Date;
  log?: { warn(obj: object, msg: string): void };
}

export function createDocumentService(deps: DocumentServiceDeps) {
  const { db, storage, clock } = deps;
  const scanner = deps.scanner ?? createVirusScanner({ mode: 'off', target: { socket: '' }, explicit: false, timeoutMs: 1 });

  async function knownComponents(at: Date): Promise<Set<string>> {
    const rb = await deps.rulebooks.inForce(at);
    return new Set([...Object.values(rb.content.dossierComponents).flat().map((c) => c.id), ...EXTRA_COMPONENTS]);
  }

  /**
   * Best effort, and bounded in time so a refusal is answered promptly even when storage hangs:
   * the sweeper removes whatever this could not (an orphan object, an incomplete upload).
   */
  async function discard(id: string, key: string) {
    const bounded = <T>(what: string, work: Promise<T>) => withStorageTimeout(what, Math.min(storage.requestTimeoutMs, 5_000), work).catch(() => {});
    // (Its multipart upload, if any, was aborted by the upload stream; leftovers are listed and
    // aborted by the sweeper.)
    await bounded('remove', storage.client.removeObject(storage.bucket, key));
    await db.delete(documents).where(and(eq(documents.id, id), eq(documents.status, 'pending'))).catch(() => {});
  }

  /** Storage and scanner faults become 503s; everything else is passed on as it is. */
  function classify(err: unknown): unknown {
    if (err instanceof AppError) return err;
    const scan = scanFailure(err);
    if (scan) return scan;
    if (isStorageConnectionError(err)) {
      return new ServiceUnavailableError('Object storage is unavailable; nothing was stored. Retry later.', 'STORAGE_UNAVAILABLE');
    }
    if ((err as { name?: string }).name === 'AbortError') return new ClientAbortedError();
    return err;
  }

  /** The attempt stays in the project's history even though nothing was stored. */
  async function recordRejection(principal: Principal, project: { id: string }, meta: CommandMeta, payload: Record<string, unknown>) {
    await db
      .transaction(async (tx) => {
        const [p] = (await tx.execute(sql`select state, revision from projects where id = ${project.id}`)) as unknown as Array<{ state: string; revision: number }>;
        await appendAuditEvent(tx, {
          actor: principal,
          action: 'document.rejected',
          projectId: project.id,
          fromState: p!.state,
          toState: p!.state,
          revision: p!.revision,
          requestId: meta.requestId,
          payload,
          at: clock(),
        });
      })
      .catch((err) => deps.log?.warn({ err }, 'recording a rejected upload failed'));
  }

  async function upload(principal: Principal, projectId: string, file: IncomingFile, meta: CommandMeta, opts: { signal?: AbortSignal } = {}) {
    // Refuse before receiving a byte whatever would be refused after.
    if (!/^[a-z][a-z0-9_]{1,63}$/.test(file.component) || !(await knownComponents(clock())).has(file.component)) {
      throw new ValidationError(`"${file.component}" is not a dossier component (see GET /v1/rulebooks/current)`, {}, 'UNKNOWN_COMPONENT');
    }
    if (file.declaredSha256 !== undefined && !/^[0-9a-f]{64}$/.test(file.declaredSha256)) {
      throw new ValidationError('sha256 must be 64 lowercase hexadecimal characters', {}, 'INVALID_CHECKSUM');
    }
    const { name: originalName, extension } = sanitiseFileName(file.fileName);
    const { project, relation } = await loadVisibleProject(db, principal, projectId);
    const allowed = allowedActions(project.snapshot as PersistedAppraisal, { actor: actorFacts(principal, relation) });
    if (!allowed.includes('upload_document')) {
      if (!relation.isOwner) throw new ForbiddenError('Only the investor that owns the project uploads its dossier', 'NOT_PERMITTED', { allowedActions: allowed });
      throw new InvalidTransitionError('upload_document', project.state, allowed, 'files are accepted only in draft or while supplementing');
    }
    // Fail closed before anything is written when scanning is required and clamd is away.
    const scan = await scanner.begin();

    // 1. pending row, committed on its own
    const id = randomUUID();
    const key = `projects/${project.id}/documents/${id}`;
    await db.insert(documents).values({ id, projectId: project.id, component: file.component, status: 'pending', objectKey: key, originalName, uploadedBy: principal.sub });

    let hasher: ReturnType<typeof createHashingCounter> | undefined;
    try {
      // 2. stream to storage: stall timeout, sniff the head, limit the size, hash, look for a
      //    second file inside, scan for viruses; any stage failing aborts the storage upload.
      let lastBeat = Date.now();
      const stall = new StallTimeout(deps.stallTimeoutMs ?? 30_000, () => {
        if (Date.now() - lastBeat < HEARTBEAT_MS) return;
        lastBeat = Date.now();
        db.update(documents).set({ lastActivityAt: clock() }).where(and(eq(documents.id, id), eq(documents.status, 'pending'))).catch(() => {});
      });
      const head = createHeadCapture(SNIFF_BYTES);
      const limiter = createSizeLimiter(deps.maxBytes);
      hasher = createHashingCounter();
      const inspector = createEmbeddedContentInspector({ extension: extension.replace(/^\./, '').toLowerCase() });
      const sink = storage.createUploadStream(key);
      let refusal: AppError | undefined;
      head.head.then(
        async (bytes) => {
          const verdict = checkType(await sniff(bytes), extension);
          if (!verdict.ok) {
            refusal = new UnsupportedMediaTypeError(verdict.message, verdict.code);
            head.destroy(refusal);
          }
        },
        () => {},
      );
      const stages: NodeJS.ReadWriteStream[] = [stall, head, limiter, hasher, inspector, ...(scan ? [scan.stream] : [])];
      try {
        await pipeline([file.stream, ...stages, sink], opts.signal ? { signal: opts.signal } : {});
      } catch (err) {
        // The multipart upload is aborted before anything is reported (bounded: the abort has its own timeout).
        await sink.settled();
        // The type refusal wins over what it caused downstream; a parser limit is a size refusal.
        throw refusal ?? (file.truncated?.() ? new FileTooLargeError(deps.maxBytes) : err);
      }
      if (refusal) throw refusal;
      if (file.truncated?.()) throw new FileTooLargeError(deps.maxBytes);
      const verdict = checkType(await sniff(await head.head), extension);
      if (!verdict.ok) throw new UnsupportedMediaTypeError(verdict.message, verdict.code);
      const scanned: ScanOutcome = scan ? await scan.outcome() : { status: 'not_scanned' };
      const { sha256, size } = hasher.result();
      if (size === 0) throw new ValidationError('The file is empty', {}, 'EMPTY_FILE');
      if (file.declaredSha256 && file.declaredSha256 !== sha256) {
        throw new UnprocessableError(`The file's SHA-256 is ${sha256}, not the declared ${file.declaredSha256}`, 'CHECKSUM_MISMATCH', { sha256 });
      }

      // 3. commit: workflow check, audit event, supersede, activate — one transaction. The
      //    document view is the command's response, so an idempotent replay returns it too.
      const result = await deps.projects.command(
        principal,
        project.id,
        'upload_document',
        { component: file.component, sha256, size },
        meta,
        async (ctx) => {
          const [{ next }] = (await ctx.tx.execute(sql`
            select coalesce(max(version), 0) + 1 as next from documents where project_id = ${project.id} and component = ${file.component}
          `)) as unknown as [{ next: number }];
          await ctx.apply('upload_document', { type: 'UPLOAD_DOCUMENT', facts: { actor: ctx.actor } }, {
            name: 'document.uploaded',
            payload: {
              documentId: id, component: file.component, version: next, size, mediaType: verdict.mediaType, sha256, originalName,
              scan: scanned.status === 'clean' ? { status: 'clean', engine: scanned.engine, signatures: scanned.signatures } : { status: 'not_scanned' },
            },
          });
          await ctx.tx
            .update(documents)
            .set({ status: 'superseded', supersededAt: ctx.now })
            .where(and(eq(documents.projectId, project.id), eq(documents.component, file.component), eq(documents.status, 'active')));
          const [activated] = await ctx.tx
            .update(documents)
            .set({
              status: 'active', version: next, sha256, sizeBytes: size, mediaType: verdict.mediaType, committedAt: ctx.now,
              scanStatus: scanned.status,
              ...(scanned.status === 'clean' ? { scanEngine: scanned.engine, scanSignatures: scanned.signatures, scannedAt: ctx.now } : {}),
            })
            .where(and(eq(documents.id, id), eq(documents.status, 'pending')))
            .returning();
          if (!activated) throw new ConflictError('The upload took too long and was cleaned up; upload again', 'UPLOAD_EXPIRED');
          return { status: 201, body: toView(activated) };
        },
      );
      if (result.replayed) {
        // The same Idempotency-Key already stored this file: keep the first copy only.
        await discard(id, key);
      } else {
        observe.upload(size, scanned.status);
      }
      return result;
    } catch (err) {
      const failure = classify(err);
      await discard(id, key);
      if (failure instanceof VirusFoundError) {
        const seen = hasher?.resultIfDone();
        await recordRejection(principal, project, meta, {
          component: file.component, originalName, reason: 'VIRUS_FOUND', signature: failure.signature, ...(seen ? { sha256: seen.sha256, size: seen.size } : {}),
        });
      }
      throw failure;
    }
  }

  async function list(principal: Principal, projectId: string) {
    const { project } = await loadVisibleProject(db, principal, projectId);
    const rows = await db
      .select()
      .from(documents)
      .where(and(eq(documents.projectId, project.id), inArray(documents.status, ['active', 'superseded'])))
      .orderBy(asc(documents.component), desc(documents.version));
    const views = rows.map(toView);
    return {
      projectId: project.id,
      current: views.filter((d) => d.status === 'active'),
      history: views.filter((d) => d.status === 'superseded'),
      checklist: await dossierChecklist(db, deps.rulebooks, project, clock()),
    };
  }

  async function get(principal: Principal, documentId: string): Promise<DocumentRow> {
    const [doc] = await db.select().from(documents).where(eq(documents.id, documentId));
    if (!doc || doc.status === 'pending') throw new NotFoundError('Document');
    await loadVisibleProject(db, principal, doc.projectId); // 404 if the project is not visible
    return doc;
  }

  async function content(principal: Principal, documentId: string) {
    const doc = await get(principal, documentId);
    let stream: Readable;
    try {
      stream = await withStorageTimeout('get', storage.requestTimeoutMs, storage.client.getObject(storage.bucket, doc.objectKey));
    } catch (err) {
      throw classify(err);
    }
    return { doc: toView(doc), stream };
  }

  async function downloadUrl(principal: Principal, documentId: string, ttlSeconds = 300) {
    const doc = await get(principal, documentId);
    const url = await storage.client.presignedGetObject(storage.bucket, doc.objectKey, ttlSeconds, {
      'response-content-disposition': contentDispositionFor(doc.originalName),
      'response-content-type': doc.mediaType!,
    });
    return { url, expiresAt: new Date(clock().getTime() + ttlSeconds * 1000).toISOString(), sha256: doc.sha256!, size: doc.sizeBytes! };
  }

  /**
   * Remove what failed or crashed uploads left: pending rows with no sign of life for
   * `olderThanMs` (with their objects and multipart uploads), incomplete multipart uploads under
   * projects/ older than that, and objects under projects/ that no row names. Safe on several
   * instances: rows are claimed with SKIP LOCKED and removals are idempotent.
   */
  async function sweep(olderThanMs = deps.abandonedAfterMs ?? 10 * 60_000): Promise<{ pendingRows: number; orphanObjects: number; incompleteUploads: number }> {
    const cutoff = new Date(clock().getTime() - olderThanMs);
    const pendingRows = await db.transaction(async (tx) => {
      const stale = (await tx.execute(sql`
        select id, object_key from documents where status = 'pending' and coalesce(last_activity_at, created_at) < ${cutoff.toISOString()}::timestamptz
        order by created_at limit 500 for update skip locked
      `)) as unknown as Array<{ id: string; object_key: string }>;
      for (const s of stale) {
        await storage.client.removeObject(storage.bucket, s.object_key);
        await storage.client.removeIncompleteUpload(storage.bucket, s.object_key).catch(() => {});
      }
      if (stale.length > 0) await tx.delete(documents).where(inArray(documents.id, stale.map((s) => s.id)));
      return stale.length;
    });

    // Multipart uploads a crashed instance never completed nor aborted (S3 keeps their parts forever).
    let incompleteUploads = 0;
    const abandoned: Array<{ key: string; uploadId: string }> = [];
    for await (const u of storage.client.listIncompleteUploads(storage.bucket, 'projects/', true) as AsyncIterable<{ key: string; uploadId: string; initiated?: Date }>) {
      if (u.initiated && u.initiated < cutoff) abandoned.push(u);
      if (abandoned.length >= 1000) break;
    }
    for (const u of abandoned) {
      await storage.client.abortMultipartUpload(storage.bucket, u.key, u.uploadId);
      incompleteUploads++;
    }

    let orphanObjects = 0;
    const candidates: string[] = [];
    for await (const obj of storage.client.listObjectsV2(storage.bucket, 'projects/', true) as AsyncIterable<{ name?: string; lastModified?: Date }>) {
      if (obj.name && obj.lastModified && obj.lastModified < cutoff) candidates.push(obj.name);
      if (candidates.length >= 1000) break;
    }
    if (candidates.length > 0) {
      const known = new Set((await db.select({ k: documents.objectKey }).from(documents).where(inArray(documents.objectKey, candidates))).map((r) => r.k));
      for (const name of candidates) {
        if (known.has(name)) continue;
        await storage.client.removeObject(storage.bucket, name);
        orphanObjects++;
      }
    }
    if (pendingRows + orphanObjects + incompleteUploads > 0) deps.log?.warn({ pendingRows, orphanObjects, incompleteUploads }, 'document sweeper removed leftovers');
    return { pendingRows, orphanObjects, incompleteUploads };
  }

  return {
    upload,
    list,
    content,
    downloadUrl,
    sweep,
  };
}
export type DocumentService = ReturnType<typeof createDocumentService>;
