import { fail } from '../errors.js';
import { Rng, randomSeed } from './rng.js';
import { topIndices } from './top-indices.js';
import type { SamplingOptions } from './types.js';

/**
 * Tokens still in the running and their scores, the list llama.cpp's samplers pass along.
 * `sorted` says the list is in descending logit order.
 */
export interface Candidates {
  ids: number[];
  logits: number[];
  sorted: boolean;
}

export function candidatesOf(logits: ArrayLike<number>): Candidates {
  const ids = new Array<number>(logits.length);
  const values = new Array<number>(logits.length);
  for (let i = 0; i < logits.length; i++) {
    ids[i] = i;
    values[i] = logits[i]!;
  }
  return { ids, logits: values, sorted: false };
}

function keep(c: Candidates, order: number[], count: number): void {
  c.ids = order.slice(0, count).map((i) => c.ids[i]!);
  c.logits = order.slice(0, count).map((i) => c.logits[i]!);
}

function sortDescending(c: Candidates): void {
  if (c.sorted) return;
  const order = c.ids.map((_, i) => i).sort((a, b) => c.logits[b]! - c.logits[a]! || c.ids[a]! - c.ids[b]!);
  keep(c, order, order.length);
  c.sorted = true;
}

/** Probabilities of the candidates (softmax of their logits), in candidate order. */
export function softmax(c: Candidates): number[] {
  let max = -Infinity;
  for (const l of c.logits) if (l > max) max = l;
  const p = c.logits.map((l) => Math.exp(l - max));
  const total = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / total);
}

/** Repetition penalty (divides positive logits, multiplies negative ones), then frequency and presence penalties. */
export function applyPenalties(c: Candidates, counts: ReadonlyMap<number, number>, repeat: number, frequency: number, presence: number): void {
  for (let i = 0; i < c.ids.length; i++) {
    const count = counts.get(c.ids[i]!) ?? 0;
    if (count === 0) continue;
    const l = c.logits[i]!;
    c.logits[i] = (l <= 0 ? l * repeat : l / repeat) - count * frequency - presence;
  }
  c.sorted = false;
}

/** Keeps the k highest logits; k <= 0 keeps all. */
export function topK(c: Candidates, k: number): void {
  if (k <= 0 || k >= c.ids.length) return;
  if (c.sorted) {
    c.ids.length = k;
    c.logits.length = k;
    return;
  }
  keep(c, topIndices(c.logits, k), k);
  c.sorted = true;
}

/** Keeps the most probable tokens until their probabilities sum to at least p. */
export function topP(c: Candidates, p: number): void {
  if (p >= 1) return;
  sortDescending(c);
  const probs = softmax(c);
  let sum = 0;
  for (let i = 0; i < probs.length; i++) {
    sum += probs[i]!;
    if (sum >= p) {
      c.ids.length = i + 1;
      c.logits.length = i + 1;
      return;
    }
  }
}

/** Keeps the tokens at least p times as probable as the most probable one. */
export function minP(c: Candidates, p: number): void {
  if (p <= 0 || c.ids.length === 0) return;
  const floor = Math.max(...c.logits) + Math.log(p);
  const order = c.ids.map((_, i) => i).filter((i) => c.logits[i]! >= floor);
  keep(c, order, order.length);
}

/**
 * Locally typical sampling: keeps the tokens whose surprise (-log p) is closest to the entropy until their
 * probabilities sum to more than p. (llama.cpp's version keeps everything when its min_keep is 0, an unsigned
 * underflow; this keeps at least one token as intended.)
 */
export function typicalP(c: Candidates, p: number): void {
  if (p >= 1) return;
  const probs = softmax(c);
  const entropy = -probs.reduce((h, q) => (q > 0 ? h + q * Math.log(q) : h), 0);
  const distance = probs.map((q) => Math.abs(-Math.log(q) - entropy));
  const order = probs.map((_, i) => i).sort((a, b) => distance[a]! - distance[b]! || a - b);
  let sum = 0;
  let count = order.length;
  for (let i = 0; i < order.length; i++) {
    sum += probs[order[i]!]!;
    if (sum > p) {
      count = i + 1;
      break;
    }
  }
  keep(c, order, count);
  c.sorted = false;
}

export function temperature(c: Candidates, t: number): void {
  for (let i = 0; i < c.logits.length; i++) c.logits[i] = c.logits[i]! / t;
}

/** Draws a candidate with probability proportional to exp(logit), from one uniform number u in [0, 1). */
export function draw(c: Candidates, u: number): number {
  const probs = softmax(c);
  let acc = 0;
  for (let i = 0; i < probs.length; i++) {
    acc += probs[i]!;
    if (u < acc) return c.ids[i]!;
  }
  return c.ids[c.ids.length - 1]!;
}

/** The sampling options with llama.cpp's defaults filled in. */
export type ResolvedSampling = Required<Omit<SamplingOptions, 'logitBias'>> & Pick<SamplingOptions, 'logitBias'>;

export function resolveSampling(o: SamplingOptions): ResolvedSampling {
  const r: ResolvedSampling = {
    temperature: o.temperature ?? 0.8,
    topK: o.topK ?? 40,
    topP: o.topP ?? 0.95,
    minP: o.minP ?? 0.05,
    typicalP: o.typicalP ?? 1,
    repeatPenalty: o.repeatPenalty ?? 1,
    repeatLastN: o.repeatLastN ?? 64,
    frequencyPenalty: o.frequencyPenalty ?? 0,
    presencePenalty: o.presencePenalty ?? 0,
    seed: o.seed ?? randomSeed(),
    logitBias: o.logitBias,
  };
  const check = (name: string, ok: boolean): void => {
    if (!ok) fail('BAD_ARGUMENT', `sampling option ${name} is out of range`);
  };
  check('temperature (>= 0)', r.temperature >= 0);
  check('topK (integer >= 0)', Number.isInteger(r.topK) && r.topK >= 0);
  check('topP (0..1)', r.topP >= 0 && r.topP <= 1);
  check('minP (0..1)', r.minP >= 0 && r.minP <= 1);
  check('typicalP (0..1)', r.typicalP >= 0 && r.typicalP <= 1);
  check('repeatPenalty (> 0)', r.repeatPenalty > 0);
  check('repeatLastN (integer >= -1)', Number.isInteger(r.repeatLastN) && r.repeatLastN >= -1);
  check('frequencyPenalty (finite)', Number.isFinite(r.frequencyPenalty));
  check('presencePenalty (finite)', Number.isFinite(r.presencePenalty));
  check('seed (finite)', Number.isFinite(r.seed));
  return r;
}

/**
 * Picks the next token from logits as llama.cpp's default chain does: logit bias, penalties over the last
 * repeatLastN tokens, top-k, typical-p, top-p, min-p, temperature, then a seeded draw.
 * Temperature 0 is greedy: the highest logit after bias and penalties.
 */
export class Sampler {
  readonly options: ResolvedSampling;
  private readonly rng: Rng;
  private readonly history: number[] = [];

  constructor(options: SamplingOptions = {}) {
    this.options = resolveSampling(options);
    this.rng = new Rng(this.options.seed);
  }

  /** Records a token of the sequence (prompt or generated) for the penalties. */
  accept(token: number): void {
    this.history.push(token);
  }

  private recentCounts(): Map<number, number> {
    const n = this.options.repeatLastN === -1 ? this.history.length : this.options.repeatLastN;
    const counts = new Map<number, number>();
    for (const t of this.history.slice(Math.max(0, this.history.length - n))) counts.set(t, (counts.get(t) ?? 0) + 1);
    return counts;
  }

  sample(logits: ArrayLike<number>): number {
    const o = this.options;
    const penalize = o.repeatLastN !== 0 && (o.repeatPenalty !== 1 || o.frequencyPenalty !== 0 || o.presencePenalty !== 0);
    // Greedy without penalties needs no candidate list: two arrays of the vocabulary's size less per token.
    if (o.temperature <= 0 && !penalize) return biasedArgmax(logits, o.logitBias);
    const c = candidatesOf(logits);
    if (o.logitBias !== undefined) {
      for (const [id, bias] of o.logitBias) if (id >= 0 && id < c.logits.length) c.logits[id] = c.logits[id]! + bias;
    }
    if (penalize) applyPenalties(c, this.recentCounts(), o.repeatPenalty, o.frequencyPenalty, o.presencePenalty);
    if (o.temperature <= 0) return argmax(c);
    topK(c, o.topK);
    typicalP(c, o.typicalP);
    topP(c, o.topP);
    minP(c, o.minP);
    temperature(c, o.temperature);
    return draw(c, this.rng.next());
  }
}

/** argmax of candidatesOf(logits) with the bias added, without building it: the first of equal maxima. */
function biasedArgmax(logits: ArrayLike<number>, bias: ReadonlyMap<number, number> | undefined): number {
  const at = (i: number): number => logits[i]! + (bias?.get(i) ?? 0);
  let best = 0;
  let value = at(0);
  for (let i = 1; i < logits.length; i++) {
    const v = at(i);
    if (v > value) {
      best = i;
      value = v;
    }
  }
  return best;
}

function argmax(c: Candidates): number {
  let best = 0;
  for (let i = 1; i < c.logits.length; i++) if (c.logits[i]! > c.logits[best]!) best = i;
  return c.ids[best]!;
}
