/**
 * Checks checkpoints in id order, as a sequence (the server's verification, the offline verifier
 * and the checkpoint maker's own rebuild all use this one piece).
 *
 * Version 1 checkpoints stand alone (every head listed, checkCheckpoint covers them). Version 2
 * checkpoints list only the heads that changed since `previousId`, each with its leaf index, so
 * the Merkle tree is rebuilt by applying them in order, starting from an empty tree at the first
 * version-2 checkpoint (the one after the last version-1 checkpoint, or the very first), and the
 * rebuilt root must equal the signed one. previousId is signed, so a checkpoint removed from the
 * middle, or a listing that starts part-way, is reported rather than silently accepted.
 */
import type { KeyObject } from 'node:crypto';
import type { ChainHead } from './audit-hash';
import { checkCheckpoint, type SignedCheckpoint } from './checkpoint-signature';
import { leafHash, MerkleTree } from './merkle-tree';

/** The tree of the latest checkpoint accepted so far. */
export interface CheckpointTree {
  tree: MerkleTree;
  /** chainId → leaf index. */
  leafOf: Map<string, number>;
  /** Heads by leaf index. */
  heads: ChainHead[];
}

export function emptyCheckpointTree(): CheckpointTree {
  return { tree: new MerkleTree(), leafOf: new Map(), heads: [] };
}

/**
 * Applies a version-2 checkpoint's changed heads to `t` (in place, synchronously). Returns what is
 * wrong with them; the tree is then not trustworthy.
 */
export function applyChangedHeads(t: CheckpointTree, changed: ReadonlyArray<ChainHead & { leafIndex?: number }>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const h of changed) {
    if (typeof h !== 'object' || h === null) {
      problems.push('a changed head is not an object');
      continue;
    }
    if (seen.has(h.chainId)) problems.push(`chain ${h.chainId} is listed twice`);
    seen.add(h.chainId);
    const known = t.leafOf.get(h.chainId);
    const expected = known ?? t.tree.size;
    if (h.leafIndex !== expected) {
      problems.push(`chain ${h.chainId} is at leaf ${String(h.leafIndex)}, expected ${expected}${known === undefined ? ' (a new chain is appended)' : ''}`);
      continue;
    }
    let hash: Buffer;
    try {
      hash = leafHash(h);
    } catch (err) {
      problems.push(`head of chain ${String(h.chainId)} is malformed: ${(err as Error).message}`);
      continue;
    }
    if (known !== undefined && h.chainSeq < t.heads[known]!.chainSeq) {
      problems.push(`chain ${h.chainId} moves back from chainSeq ${t.heads[known]!.chainSeq} to ${h.chainSeq}`);
    }
    t.tree.set(expected, hash);
    t.leafOf.set(h.chainId, expected);
    t.heads[expected] = { chainId: h.chainId, chainSeq: h.chainSeq, rowHash: h.rowHash };
  }
  t.tree.rehash();
  return problems;
}

export interface CheckpointSequenceChecker {
  /** Problems of this checkpoint (empty: it verifies, including its place in the sequence). */
  check(cp: SignedCheckpoint): string[];
  /** The tree after the last version-2 checkpoint checked (null before one, or once it broke). */
  tree(): CheckpointTree | null;
}

export function createCheckpointSequenceChecker(publicKey: KeyObject): CheckpointSequenceChecker {
  let previous: { id: number; version: number } | null = null;
  let current: CheckpointTree | null = null;
  let broken = false; // a version-2 checkpoint failed to rebuild: later roots cannot be judged

  function check(cp: SignedCheckpoint): string[] {
    const problems = checkCheckpoint(cp, publicKey);
    if (cp.version === 1 && previous?.version === 2) problems.push('a version-1 checkpoint after version-2 ones');
    if (cp.version === 2) {
      const expectedPrevious = previous?.id ?? null;
      if ((cp.previousId ?? null) !== expectedPrevious) {
        problems.push(
          expectedPrevious === null
            ? `previousId is ${String(cp.previousId)}, but no checkpoint comes before it here (checkpoints are missing from the sequence)`
            : `previousId is ${String(cp.previousId)}, but the checkpoint before it is #${expectedPrevious} (checkpoints are missing from the sequence)`,
        );
      }
      const starts = previous === null || previous.version === 1;
      if (starts && (cp.previousId ?? null) === expectedPrevious) {
        current = emptyCheckpointTree();
        broken = false;
      }
      if (current === null || broken || (starts && (cp.previousId ?? null) !== expectedPrevious)) {
        problems.push('the Merkle tree cannot be rebuilt: an earlier checkpoint of the sequence is missing or broken');
        broken = true;
      } else if (Array.isArray(cp.heads)) {
        const applied = applyChangedHeads(current, cp.heads);
        problems.push(...applied);
        if (current.tree.size !== cp.chainCount) problems.push(`chainCount is ${cp.chainCount} but the tree has ${current.tree.size} leaves`);
        if (current.tree.rootHex() !== cp.headsDigest) problems.push('the changed heads do not rebuild the signed Merkle root (headsDigest)');
        if (problems.length > 0 && (applied.length > 0 || current.tree.rootHex() !== cp.headsDigest)) broken = true;
      }
    }
    previous = { id: cp.id, version: cp.version };
    return problems;
  }

  return { check, tree: () => (broken ? null : current) };
}
