import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../infra/database';
import { accounts } from '../../db/schema';
import { ROLES, type Role } from './roles';
import { ConflictError, NotFoundError, ValidationError } from '../errors';

/**
 * The embedded OpenID provider's people. Passwords are hashed with scrypt (memory-hard, in
 * Node's crypto: no native dependency). N=2^15, r=8 uses 32 MiB and ~100 ms per hash here,
 * in line with OWASP's guidance for scrypt. Parameters are stored with each hash, so they can
 * be raised later without invalidating existing passwords.
 */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLen: 32 };

function scrypt(password: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, SCRYPT.keyLen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 128 * SCRYPT.N * SCRYPT.r * 2 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  const key = await scrypt(password.normalize('NFC'), salt, expected.length, { N, r, p, maxmem: 128 * N * r * 2 });
  return timingSafeEqual(key, expected);
}

/** A one-time password a person can type: 4 groups of 4 from an alphabet without look-alikes. */
export function oneTimePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(16);
  let out = '';
  for (let i = 0; i < 16; i++) out += (i > 0 && i % 4 === 0 ? '-' : '') + alphabet[bytes[i]! % alphabet.length];
  return out;
}

export const MIN_PASSWORD_LENGTH = 12;
/** Consecutive failures before an account is locked for LOCK_MINUTES (slows online guessing). */
const MAX_FAILURES = 5;
const LOCK_MINUTES = 15;
const SUB_RE = /^[A-Za-z0-9._@-]{1,100}$/;

export interface Account {
  sub: string;
  roles: Role[];
  organisation: string | null;
  displayName: string | null;
  mustChangePassword: boolean;
  disabled: boolean;
}

export type SignInResult =
  | { ok: true; account: Account }
  | { ok: false; reason: 'invalid' | 'locked' | 'disabled' };

function toAccount(row: typeof accounts.$inferSelect): Account {
  return {
    sub: row.sub,
    roles: row.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r)),
    organisation: row.organisation,
    displayName: row.displayName,
    mustChangePassword: row.mustChangePassword,
    disabled: row.disabled,
  };
}

export function checkNewPassword(password: string, sub: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return 'PASSWORD_TOO_SHORT';
  if (password.length > 200) return 'PASSWORD_TOO_LONG';
  if (password.toLowerCase().includes(sub.toLowerCase())) return 'PASSWORD_CONTAINS_NAME';
  return null;
}

export interface NewAccount {
  sub: string;
  roles: Role[];
  organisation?: string | null;
  displayName?: string | null;
}

export function createAccountStore(db: Db, clock: () => Date = () => new Date()) {
  // A hash to compare against when the account does not exist, so timing does not tell.
  const dummyHash = hashPassword(randomBytes(12).toString('hex'));

  const validate = (a: NewAccount) => {
    if (!SUB_RE.test(a.sub)) throw new ValidationError('The sign-in name may use letters, digits, ".", "_", "@" and "-" (1-100)', { sub: a.sub }, 'ACCOUNT_SUB_INVALID');
    if (a.roles.length === 0) throw new ValidationError('An account needs at least one role', {}, 'ACCOUNT_ROLE_REQUIRED');
    for (const r of a.roles) if (!ROLES.includes(r)) throw new ValidationError(`Unknown role "${r}"; roles: ${ROLES.join(', ')}`, {}, 'ACCOUNT_ROLE_UNKNOWN');
    if (a.roles.includes('investor') && !a.organisation) throw new ValidationError('An investor account needs --org (its organisation)', {}, 'ACCOUNT_ORG_REQUIRED');
  };

  return {
    async find(sub: string): Promise<Account | null> {
      const [row] = await db.select().from(accounts).where(eq(accounts.sub, sub));
      return row ? toAccount(row) : null;
    },

    async list(): Promise<Account[]> {
      return (await db.select().from(accounts).orderBy(accounts.sub)).map(toAccount);
    },

    /** Creates an account with a one-time password, which is returned once and never stored in clear. */
    async add(a: NewAccount): Promise<{ account: Account; password: string }> {
      validate(a);
      const password = oneTimePassword();
      const rows = await db
        .insert(accounts)
        .values({ sub: a.sub, roles: a.roles, organisation: a.organisation ?? null, displayName: a.displayName ?? null, passwordHash: await hashPassword(password), mustChangePassword: true })
        .onConflictDoNothing()
        .returning();
      if (rows.length === 0) throw new ConflictError(`An account "${a.sub}" already exists`, 'ACCOUNT_EXISTS');
      return { account: toAccount(rows[0]!), password };
    },

    /** A new one-time password (must be changed at next sign-in); also clears a lock-out. */
    async resetPassword(sub: string): Promise<string> {
      const password = oneTimePassword();
      const rows = await db
        .update(accounts)
        .set({ passwordHash: await hashPassword(password), mustChangePassword: true, failedAttempts: 0, lockedUntil: null, updatedAt: clock() })
        .where(eq(accounts.sub, sub))
        .returning({ sub: accounts.sub });
      if (rows.length === 0) throw new NotFoundError(`Account "${sub}"`, 'ACCOUNT_NOT_FOUND');
      return password;
    },

    async setDisabled(sub: string, disabled: boolean): Promise<void> {
      const rows = await db.update(accounts).set({ disabled, updatedAt: clock() }).where(eq(accounts.sub, sub)).returning({ sub: accounts.sub });
      if (rows.length === 0) throw new NotFoundError(`Account "${sub}"`, 'ACCOUNT_NOT_FOUND');
    },

    async signIn(sub: string, password: string): Promise<SignInResult> {
      const [row] = await db.select().from(accounts).where(eq(accounts.sub, sub));
      if (!row) {
        await verifyPassword(password, await dummyHash);
        return { ok: false, reason: 'invalid' };
      }
      if (row.lockedUntil && row.lockedUntil > clock()) return { ok: false, reason: 'locked' };
      const good = await verifyPassword(password, row.passwordHash);
      if (!good) {
        const failures = row.failedAttempts + 1;
        await db
          .update(accounts)
          .set({ failedAttempts: failures >= MAX_FAILURES ? 0 : failures, lockedUntil: failures >= MAX_FAILURES ? new Date(clock().getTime() + LOCK_MINUTES * 60_000) : row.lockedUntil })
          .where(eq(accounts.sub, sub));
        return { ok: false, reason: failures >= MAX_FAILURES ? 'locked' : 'invalid' };
      }
      if (row.disabled) return { ok: false, reason: 'disabled' };
      if (row.failedAttempts > 0) await db.update(accounts).set({ failedAttempts: 0 }).where(eq(accounts.sub, sub));
      return { ok: true, account: toAccount(row) };
    },

    /** Whether `password` is the current one, without counting a failure (the new-password check). */
    async passwordMatches(sub: string, password: string): Promise<boolean> {
      const [row] = await db.select({ hash: accounts.passwordHash }).from(accounts).where(eq(accounts.sub, sub));
      return row ? verifyPassword(password, row.hash) : false;
    },

    async changePassword(sub: string, newPassword: string): Promise<void> {
      const problem = checkNewPassword(newPassword, sub);
      if (problem) throw new ValidationError('The new password is not acceptable', {}, problem);
      await db
        .update(accounts)
        .set({ passwordHash: await hashPassword(newPassword), mustChangePassword: false, updatedAt: clock() })
        .where(eq(accounts.sub, sub));
    },

    async count(): Promise<number> {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(accounts);
      return row?.n ?? 0;
    },
  };
}
export type AccountStore = ReturnType<typeof createAccountStore>;

/** The demo people created on first start, one per role. */
export const DEMO_ACCOUNTS: readonly NewAccount[] = [
  { sub: 'demo-investor', roles: ['investor'], organisation: 'demo-investor-co', displayName: 'Nguyễn Văn An (nhà đầu tư)' },
  { sub: 'demo-clerk', roles: ['clerk'], organisation: 'so-khcn', displayName: 'Trần Thị Bình (một cửa)' },
  { sub: 'demo-appraiser', roles: ['appraiser'], organisation: 'so-khcn', displayName: 'Lê Văn Cường (thẩm định viên)' },
  { sub: 'demo-approver', roles: ['approver'], organisation: 'ubnd-tinh', displayName: 'Phạm Thị Dung (người phê duyệt)' },
  { sub: 'demo-auditor', roles: ['auditor'], organisation: 'thanh-tra', displayName: 'Hoàng Văn Em (kiểm toán)' },
  { sub: 'demo-admin', roles: ['admin'], organisation: 'so-khcn', displayName: 'Quản trị hệ thống' },
];
