import { byteToken } from './spm.js';
import { utf8Bytes } from './utf8.js';
import { TokenType, type Vocab } from './vocab.js';

/** How far below the worst piece an unknown character scores (SentencePiece's kUnkPenalty). */
const UNK_PENALTY = 10;

interface Best {
  score: number;
  start: number;
  id: number;
}

/**
 * Unigram (SentencePiece/T5): the segmentation into vocabulary pieces with the highest total score, by
 * Viterbi over code points; a character no piece covers is the unknown token, and unknown runs fuse into one
 * (or, with byte fallback, become the `<0xNN>` tokens of their UTF-8 bytes). Each position probes the prefixes
 * up to the longest piece's length.
 */
export class Unigram {
  private readonly pieceIds = new Map<string, number>();
  private readonly maxPieceChars: number;
  private readonly unkScore: number;

  constructor(
    private readonly vocab: Vocab,
    private readonly unkId: number,
    private readonly byteFallback = false,
  ) {
    let min = Infinity;
    let maxChars = 1;
    for (let id = 0; id < vocab.size; id++) {
      const t = vocab.type(id);
      if (t === TokenType.NORMAL) min = Math.min(min, vocab.score(id));
      if (t === TokenType.NORMAL || t === TokenType.USER_DEFINED || t === TokenType.UNUSED) {
        const text = vocab.texts[id]!;
        this.pieceIds.set(text, id);
        maxChars = Math.max(maxChars, Array.from(text).length);
      }
    }
    this.maxPieceChars = maxChars;
    this.unkScore = (Number.isFinite(min) ? min : 0) - UNK_PENALTY;
  }

  encode(text: string, out: number[]): void {
    const chars = Array.from(text);
    const n = chars.length;
    if (n === 0) return;
    const best: Best[] = new Array(n + 1);
    best[0] = { score: 0, start: 0, id: -1 };
    for (let i = 1; i <= n; i++) best[i] = { score: -Infinity, start: 0, id: this.unkId };
    for (let i = 0; i < n; i++) {
      const base = best[i]!.score;
      if (base === -Infinity) continue;
      let piece = '';
      let coveredOne = false;
      for (let j = i; j < n && j - i < this.maxPieceChars; j++) {
        piece += chars[j];
        const id = this.pieceIds.get(piece);
        if (id === undefined) continue;
        if (j === i) coveredOne = true;
        // User-defined pieces score 0 so that they win over their spelled-out parts.
        const score = base + (this.vocab.type(id) === TokenType.USER_DEFINED ? 0 : this.vocab.score(id));
        if (score > best[j + 1]!.score) best[j + 1] = { score, start: i, id };
      }
      if (!coveredOne && base + this.unkScore > best[i + 1]!.score) best[i + 1] = { score: base + this.unkScore, start: i, id: this.unkId };
    }
    // Walk back from the end, fusing each run of unknown characters into one span.
    const spans: { id: number; start: number; end: number }[] = [];
    for (let at = n; at > 0; at = best[at]!.start) {
      const { id, start } = best[at]!;
      const last = spans[spans.length - 1];
      if (id === this.unkId && last?.id === this.unkId) last.start = start;
      else spans.push({ id, start, end: at });
    }
    for (let k = spans.length - 1; k >= 0; k--) {
      const { id, start, end } = spans[k]!;
      if (id === this.unkId && this.byteFallback) {
        for (const b of utf8Bytes(chars.slice(start, end).join(''))) out.push(byteToken(this.vocab, b, this.unkId));
      } else out.push(id);
    }
  }
}
