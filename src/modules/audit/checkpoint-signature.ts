/**
 * Signed checkpoints of the audit chain heads (DESIGN.md §2 "Audit log").
 *
 * A checkpoint records, at one moment, the head (chainSeq, rowHash) of every chain. Its body holds
 * only a digest of those heads (headsDigest) and is signed with Ed25519 by a key kept outside the
 * database, so whoever can rewrite the audit table still cannot produce a checkpoint that vouches
 * for the rewritten rows. The heads themselves travel next to the body and must digest to it.
 *
 * Signature = Ed25519 over the UTF-8 of the RFC 8785 canonical JSON of the body fields only
 * (version, createdAt, seqHighWater, chainCount, headsDigest, counts; version 2 adds previousId),
 * base64url without padding.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson, headsDigest, type ChainHead } from './audit-hash';

export interface CheckpointBody {
  /**
   * 1: headsDigest = SHA-256 of every head's line in chain-id byte order, `heads` lists them all.
   * 2: headsDigest = RFC 6962 Merkle root over every head in leaf order (merkle-tree.ts), `heads`
   *    lists only those changed since the checkpoint `previousId` (checkpoint-sequence.ts).
   */
  version: 1 | 2;
  createdAt: string;
  /** Highest audit seq visible when the heads were read. */
  seqHighWater: number;
  /** Number of chains (v2: the tree size). */
  chainCount: number;
  headsDigest: string;
  /** v2 only: the id of the checkpoint before this one (null for the first), signed so none can be dropped. */
  previousId?: number | null;
  counts: { decided: number; appraised: number; events: number };
}

/** A head as a version-2 checkpoint lists it: with the leaf it occupies in the tree. */
export interface CheckpointHead extends ChainHead {
  leafIndex?: number;
}

export interface SignedCheckpoint extends CheckpointBody {
  id: number;
  keyId: string;
  /** base64url Ed25519 signature over the canonical JSON of the body. */
  signature: string;
  heads: CheckpointHead[];
}

/** Exactly the signed fields, whatever else the object carries (id, keyId, heads…). */
export function checkpointBodyOf(cp: CheckpointBody): CheckpointBody {
  const body: CheckpointBody = {
    version: cp.version,
    createdAt: cp.createdAt,
    seqHighWater: cp.seqHighWater,
    chainCount: cp.chainCount,
    headsDigest: cp.headsDigest,
    counts: { decided: cp.counts?.decided, appraised: cp.counts?.appraised, events: cp.counts?.events },
  };
  if (cp.version !== 1) body.previousId = cp.previousId ?? null;
  return body;
}

function signedBytes(body: CheckpointBody): Buffer {
  return Buffer.from(canonicalJson(checkpointBodyOf(body)), 'utf8');
}

export function signCheckpoint(body: CheckpointBody, privateKey: KeyObject, keyId: string): { signature: string; keyId: string } {
  if (privateKey.asymmetricKeyType !== 'ed25519' || privateKey.type !== 'private') {
    throw new TypeError('checkpoints are signed with an Ed25519 private key');
  }
  return { signature: sign(null, signedBytes(body), privateKey).toString('base64url'), keyId };
}

export function verifyCheckpointSignature(cp: SignedCheckpoint, publicKey: KeyObject): boolean {
  if (publicKey.asymmetricKeyType !== 'ed25519') return false;
  if (typeof cp.signature !== 'string') return false;
  const sig = Buffer.from(cp.signature, 'base64url');
  // Node's base64 decoder skips characters it does not know; insist on the one canonical text so
  // that a "tampered" signature string can never still verify.
  if (sig.length !== 64 || sig.toString('base64url') !== cp.signature) return false;
  try {
    return verify(null, signedBytes(cp), publicKey, sig);
  } catch {
    return false; // body not serializable (NaN, wrong types…): not a valid checkpoint
  }
}

/** Short, stable id of a public key: base64url SHA-256 of its SPKI DER, first 16 characters. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url').slice(0, 16);
}

export function publicKeyFromPem(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(`expected an Ed25519 public key, got ${key.asymmetricKeyType}`);
  return key;
}

/** Same key material (compared as SPKI DER). */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
}

/**
 * Everything a verifier checks on a checkpoint by itself: signature and key; for version 1 also
 * headsDigest of the listed heads and chainCount. (A version-2 root depends on the checkpoints
 * before it: createCheckpointSequenceChecker checks it. That the heads exist in the log is checked
 * against the events.)
 */
export function checkCheckpoint(cp: SignedCheckpoint, publicKey: KeyObject): string[] {
  const problems: string[] = [];
  if (cp.version !== 1 && cp.version !== 2) problems.push(`unsupported checkpoint version ${String(cp.version)}`);
  if (!verifyCheckpointSignature(cp, publicKey)) problems.push('signature does not verify with the public key');
  if (typeof cp.keyId === 'string' && cp.keyId !== keyIdOf(publicKey)) {
    problems.push(`signed by key ${cp.keyId}, the public key is ${keyIdOf(publicKey)}`);
  }
  if (!Array.isArray(cp.heads)) {
    problems.push('heads are missing');
    return problems;
  }
  if (cp.version !== 1) return problems;
  try {
    const { digest, count } = headsDigest(cp.heads);
    if (digest !== cp.headsDigest) problems.push('heads do not match headsDigest');
    if (count !== cp.chainCount) problems.push(`chainCount is ${cp.chainCount} but ${count} heads are listed`);
  } catch (err) {
    problems.push(`heads are malformed: ${(err as Error).message}`);
  }
  return problems;
}

export interface CheckpointKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
  publicKeyPem: string;
}

/**
 * The checkpoint signing key: an Ed25519 PKCS#8 PEM file (mode 0600, directory 0700), created on
 * first use. Keep it outside the database and its backups, or checkpoints prove nothing.
 * Concurrent first starts are safe: the key is written to a private temporary file and then
 * hard-linked into place, which fails if another process got there first (no clobbering, and no
 * reader ever sees a half-written file); the loser reads the winner's key.
 */
export async function loadOrCreateCheckpointKey(file: string): Promise<CheckpointKey> {
  let pem: string;
  try {
    pem = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    const fresh = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    await fs.writeFile(tmp, fresh, { mode: 0o600, flag: 'wx' });
    try {
      await fs.link(tmp, file);
    } catch (linkErr) {
      const code = (linkErr as NodeJS.ErrnoException).code;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
        // File systems without hard links: exclusive create of the file itself.
        await fs.writeFile(file, fresh, { mode: 0o600, flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e;
        });
      } else if (code !== 'EEXIST') {
        throw linkErr;
      }
    } finally {
      await fs.unlink(tmp).catch(() => {});
    }
    pem = await fs.readFile(file, 'utf8');
  }
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 private key`);
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}
