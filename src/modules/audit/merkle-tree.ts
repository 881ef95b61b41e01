/**
 * RFC 6962 (RFC 9162 §2.1) Merkle tree over the audit chain heads, for version-2 checkpoints.
 *
 *   leaf hash = SHA-256(0x00 ‖ "chainId chainSeq rowHash")     (UTF-8, single spaces)
 *   node hash = SHA-256(0x01 ‖ left ‖ right)
 *   empty tree = SHA-256("")
 *
 * A chain keeps the leaf index it was given when it first appeared in a checkpoint (new chains
 * are appended), so a head that moves changes one leaf and the log2(n) nodes above it: a
 * checkpoint costs what changed, not the number of chains. The levels are kept in memory; a node
 * without a right sibling is carried up unchanged, which is exactly RFC 6962's split at the
 * largest power of two below n.
 */
import crypto from 'node:crypto';
import { assertHexSha256, type ChainHead } from './audit-hash';

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

/** The bytes a head contributes as a leaf. */
export function headLeafData(h: ChainHead): string {
  return `${h.chainId} ${h.chainSeq} ${h.rowHash}`;
}

export function leafHash(h: ChainHead): Buffer {
  if (typeof h.chainId !== 'string' || h.chainId === '' || /\s/.test(h.chainId)) throw new TypeError(`invalid chainId ${JSON.stringify(h.chainId)}`);
  if (!Number.isSafeInteger(h.chainSeq) || h.chainSeq < 1) throw new TypeError(`invalid chainSeq for chain ${h.chainId}`);
  assertHexSha256(h.rowHash, `rowHash of chain ${h.chainId}`);
  return crypto.createHash('sha256').update(LEAF).update(headLeafData(h), 'utf8').digest();
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return crypto.createHash('sha256').update(NODE).update(left).update(right).digest();
}

const EMPTY_ROOT = crypto.createHash('sha256').digest();

export class MerkleTree {
  /** levels[0] are the leaf hashes; the last level has one node (the root) when size > 0. */
  private levels: Buffer[][] = [[]];

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Sets leaf `index` (index === size appends). Call rehash() after a batch of changes. */
  set(index: number, hash: Buffer): void {
    const leaves = this.levels[0]!;
    if (!Number.isSafeInteger(index) || index < 0 || index > leaves.length) throw new RangeError(`leaf index ${index} outside 0..${leaves.length}`);
    leaves[index] = hash;
    this.dirty.add(index);
  }

  private dirty = new Set<number>();

  /** Recomputes the nodes above the leaves set since the last call. */
  rehash(): void {
    let dirty = [...this.dirty];
    this.dirty.clear();
    let level = 0;
    while (this.levels[level]!.length > 1) {
      const below = this.levels[level]!;
      const above = (this.levels[level + 1] ??= []);
      above.length = Math.ceil(below.length / 2);
      const parents = new Set<number>();
      for (const i of dirty) parents.add(i >> 1);
      // New nodes are dirty too, so their parents (and a carried-up node that gained a sibling) are recomputed.
      for (const p of parents) {
        const l = below[2 * p]!;
        const r = below[2 * p + 1];
        above[p] = r === undefined ? l : nodeHash(l, r);
      }
      dirty = [...parents];
      level++;
    }
    this.levels.length = level + 1;
  }

  root(): Buffer {
    if (this.dirty.size > 0) this.rehash();
    return this.size === 0 ? EMPTY_ROOT : this.levels[this.levels.length - 1]![0]!;
  }

  rootHex(): string {
    return this.root().toString('hex');
  }

  /** The audit path of leaf `index` (RFC 6962 §2.1.1), leaf to root, as hex. */
  auditPath(index: number): string[] {
    if (this.dirty.size > 0) this.rehash();
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) throw new RangeError(`leaf index ${index} outside the tree of ${this.size}`);
    const path: string[] = [];
    let i = index;
    for (let level = 0; level < this.levels.length - 1; level++) {
      const nodes = this.levels[level]!;
      const sibling = i ^ 1;
      if (sibling < nodes.length) path.push(nodes[sibling]!.toString('hex'));
      i >>= 1;
    }
    return path;
  }
}

/** Root of a list of leaf hashes (in leaf order). */
export function merkleRoot(leaves: Buffer[]): string {
  const t = new MerkleTree();
  leaves.forEach((h, i) => t.set(i, h));
  return t.rootHex();
}

/**
 * RFC 9162 §2.1.3.2: does `path` prove leaf `leafIndex` (with hash `leaf`) in the tree of
 * `treeSize` leaves whose root is `root`?
 */
export function verifyInclusion(leafIndex: number, treeSize: number, leaf: Buffer, path: string[], root: string): boolean {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) return false;
  if (!Array.isArray(path) || path.some((p) => typeof p !== 'string' || !/^[0-9a-f]{64}$/.test(p))) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leaf;
  for (const hex of path) {
    const p = Buffer.from(hex, 'hex');
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.toString('hex') === root;
}
