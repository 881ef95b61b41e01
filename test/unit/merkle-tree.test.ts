import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leafHash, MerkleTree, merkleRoot, nodeHash, verifyInclusion } from '../../src/modules/audit/merkle-tree';

// RFC 6962 §2.1 written out recursively, as the reference the incremental tree must agree with.
function mth(d: Buffer[]): Buffer {
  if (d.length === 0) return crypto.createHash('sha256').digest();
  if (d.length === 1) return d[0]!;
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
const head = (i: number, seq = 1) => ({ chainId: `chain-${i}`, chainSeq: seq, rowHash: crypto.createHash('sha256').update(`${i}/${seq}`).digest('hex') });

describe('RFC 6962 Merkle tree over chain heads', () => {
  it('hashes leaves with 0x00 and nodes with 0x01', () => {
    const h = head(1);
    expect(leafHash(h).toString('hex')).toBe(crypto.createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(`${h.chainId} 1 ${h.rowHash}`)])).digest('hex'));
    expect(merkleRoot([])).toBe(crypto.createHash('sha256').digest('hex'));
  });

  it('agrees with the recursive definition for every size up to 70, built incrementally, with audit paths that verify', () => {
    const t = new MerkleTree();
    const leaves: Buffer[] = [];
    for (let n = 1; n <= 70; n++) {
      leaves.push(leafHash(head(n)));
      t.set(n - 1, leaves[n - 1]!);
      if (n % 3 === 0) {
        // move an older head too: one leaf changes in place
        const i = (n * 7) % n;
        leaves[i] = leafHash(head(i + 1, n));
        t.set(i, leaves[i]!);
      }
      t.rehash();
      const root = mth(leaves).toString('hex');
      expect(t.rootHex()).toBe(root);
      for (let m = 0; m < n; m++) {
        const p = t.auditPath(m);
        expect(p).toEqual(path(m, leaves).map((b) => b.toString('hex')));
        expect(verifyInclusion(m, n, leaves[m]!, p, root)).toBe(true);
      }
    }
  });

  it('rejects a proof for an altered leaf, a wrong index, a wrong size or a shortened path', () => {
    const leaves = Array.from({ length: 13 }, (_, i) => leafHash(head(i)));
    const root = merkleRoot(leaves);
    const t = new MerkleTree();
    leaves.forEach((l, i) => t.set(i, l));
    const p = t.auditPath(5);
    expect(verifyInclusion(5, 13, leaves[5]!, p, root)).toBe(true);
    expect(verifyInclusion(5, 13, leafHash(head(5, 2)), p, root)).toBe(false);
    expect(verifyInclusion(4, 13, leaves[5]!, p, root)).toBe(false);
    expect(verifyInclusion(12, 14, leaves[12]!, t.auditPath(12), root)).toBe(false); // the last leaf's path fixes the size
    expect(verifyInclusion(5, 13, leaves[5]!, p.slice(1), root)).toBe(false);
    expect(verifyInclusion(5, 13, leaves[5]!, [...p, p[0]!], root)).toBe(false);
  });
});
