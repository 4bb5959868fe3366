import { existsSync, readFileSync } from 'node:fs';
import type { Backend } from '../src/backend/backend.js';
import { GGUFSource } from '../src/model/gguf-source.js';
import { Llama } from '../src/model/llama.js';

/**
 * llama.cpp's reference outputs (../shared/reference/logits) and a comparison of our logits against them,
 * shared by the model tests and usable with any backend.
 */
export interface Reference {
  prompt: string;
  prompt_ids: number[];
  n_vocab: number;
  greedy_ids: number[];
  greedy_text: string;
  max_abs_batched_vs_incremental: number;
}

/** Per-model tolerance of our logits (llama.cpp rounding) relative to the logit range: see model-logits.test.ts. */
export const EMULATED_TOLERANCE: Readonly<Record<string, number>> = {
  'stories260K': 2.5e-4,
  'llama-2-tiny-random': 1e-6,
  'llama-tiny-shape-F16': 4e-4,
  'llama-tiny-shape-Q8_0': 1e-6,
  'llama-tiny-shape-Q4_0': 1e-6,
  'llama-tiny-shape-Q4_K_M': 5e-3,
};

export const LOGITS_DIR = '../shared/reference/logits';

export function reference(model: string, prompt: number): Reference {
  return JSON.parse(readFileSync(`${LOGITS_DIR}/${model}.${prompt}.json`, 'utf8')) as Reference;
}

/** llama.cpp's logits for every prompt position ('batched' or 'incremental'), or undefined where none were stored. */
export function referenceLogits(model: string, prompt: number, path: 'batched' | 'incremental'): Float32Array | undefined {
  const file = `${LOGITS_DIR}/${model}.${prompt}.${path}.f32`;
  if (!existsSync(file)) return undefined;
  const raw = readFileSync(file);
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

export function loadLlama(model: string, backend: Backend): Llama {
  const source = GGUFSource.open(`../shared/models/${model}.gguf`);
  try {
    return Llama.load(source, backend);
  } finally {
    source.close();
  }
}

/** Our logits at every prompt position: the whole prompt in one pass, or one token per pass on the KV cache. */
export function ourLogits(llama: Llama, ids: readonly number[], path: 'batched' | 'incremental'): Float32Array {
  const seq = llama.newSequence(ids.length);
  try {
    if (path === 'batched') return llama.forward(seq, ids, 'all');
    const vocab = llama.config.vocabSize;
    const out = new Float32Array(ids.length * vocab);
    ids.forEach((id, i) => out.set(llama.forward(seq, [id]), i * vocab));
    return out;
  } finally {
    seq.dispose();
  }
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

export interface PositionDiff {
  readonly position: number;
  /** max |ours - llama.cpp| over the vocabulary, divided by the range of llama.cpp's logits there. */
  readonly relative: number;
  readonly ourTop: number;
  readonly refTop: number;
  /** Gap between llama.cpp's two best logits, relative to the range: small means a near-tie. */
  readonly refMargin: number;
}

/** Compares each position's row of logits. */
export function compareRows(ours: Float32Array, ref: Float32Array, vocab: number): PositionDiff[] {
  const out: PositionDiff[] = [];
  for (let p = 0; p < ref.length / vocab; p++) {
    const a = ours.subarray(p * vocab, (p + 1) * vocab);
    const b = ref.subarray(p * vocab, (p + 1) * vocab);
    let maxDiff = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < vocab; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
      lo = Math.min(lo, b[i]!);
      hi = Math.max(hi, b[i]!);
    }
    const refTop = argmax(b);
    let second = -Infinity;
    for (let i = 0; i < vocab; i++) if (i !== refTop) second = Math.max(second, b[i]!);
    out.push({ position: p, relative: maxDiff / (hi - lo), ourTop: argmax(a), refTop, refMargin: (b[refTop]! - second) / (hi - lo) });
  }
  return out;
}
