import { PriorityQueue } from './priority-queue.js';

/**
 * Priority of merging two adjacent symbols into one, lower first; undefined when they cannot merge.
 * BPE uses the merge's rank, SentencePiece-BPE the negated score of the merged piece.
 */
export type PairPriority = (left: string, right: string) => number | undefined;

interface Candidate {
  left: number;
  right: number;
  priority: number;
  /** Combined length when queued: a symbol that has grown since makes the candidate stale. */
  length: number;
}

/**
 * Repeatedly merges the best adjacent pair of symbols until none can merge: the common core of byte-level BPE
 * and SentencePiece-BPE. Symbols form a linked list and candidates a heap, so a word of n symbols costs
 * O(n log n), not the O(n^2) of rescanning; ties go to the leftmost pair, as llama.cpp and Hugging Face do.
 */
export function mergeSymbols(symbols: readonly string[], priorityOf: PairPriority): string[] {
  const n = symbols.length;
  if (n < 2) return symbols.slice();
  const text = symbols.slice();
  const prev = new Int32Array(n);
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  const queue = new PriorityQueue<Candidate>((a, b) => a.priority < b.priority || (a.priority === b.priority && a.left < b.left));
  const consider = (left: number, right: number): void => {
    if (left < 0 || right < 0) return;
    const priority = priorityOf(text[left]!, text[right]!);
    if (priority === undefined) return;
    queue.push({ left, right, priority, length: text[left]!.length + text[right]!.length });
  };
  for (let i = 1; i < n; i++) consider(i - 1, i);

  for (let c = queue.pop(); c !== undefined; c = queue.pop()) {
    const l = text[c.left]!;
    const r = text[c.right]!;
    // Symbols only grow, so an unchanged total length means neither side was merged since queuing.
    if (l.length === 0 || r.length === 0 || l.length + r.length !== c.length || next[c.left] !== c.right) continue;
    text[c.left] = l + r;
    text[c.right] = '';
    const after = next[c.right]!;
    next[c.left] = after;
    if (after >= 0) prev[after] = c.left;
    consider(prev[c.left]!, c.left);
    consider(c.left, after);
  }

  const out: string[] = [];
  for (let i = 0; i !== -1; i = next[i]!) out.push(text[i]!);
  return out;
}
