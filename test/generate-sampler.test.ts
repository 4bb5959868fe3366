import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/generate/rng.js';
import {
  Sampler,
  applyPenalties,
  candidatesOf,
  draw,
  minP,
  softmax,
  temperature,
  topK,
  topP,
  typicalP,
  type Candidates,
} from '../src/generate/sampler.js';

// A hand-made distribution, shuffled so that no sampler can rely on the input order.
const PROBS = [0.15, 0.05, 0.5, 0.1, 0.2];
const LOGITS = PROBS.map(Math.log);

const ids = (c: Candidates): number[] => [...c.ids].sort((a, b) => a - b);
const fresh = (): Candidates => candidatesOf(LOGITS);

test('SplitMix64 gives the published stream (seed 0 and seed 1234567)', () => {
  const a = new Rng(0);
  assert.equal(a.nextBits(), 0xe220a8397b1dcdafn);
  assert.equal(a.nextBits(), 0x6e789e6aa1b965f4n);
  const b = new Rng(1234567);
  assert.deepEqual([b.nextBits(), b.nextBits(), b.nextBits()], [6457827717110365317n, 3203168211198807973n, 9817491932198370423n]);
  const u = new Rng(42);
  for (let i = 0; i < 1000; i++) {
    const x = u.next();
    assert.ok(x >= 0 && x < 1);
  }
});

test('softmax equals a float64 recomputation', () => {
  const p = softmax(fresh());
  p.forEach((x, i) => assert.ok(Math.abs(x - PROBS[i]!) < 1e-15));
});

test('top-k keeps the k most probable tokens; 0 keeps all', () => {
  const c = fresh();
  topK(c, 2);
  assert.deepEqual(ids(c), [2, 4]);
  const all = fresh();
  topK(all, 0);
  assert.equal(all.ids.length, 5);
});

test('top-p keeps the smallest most-probable set reaching p', () => {
  // Sorted: 0.5, 0.2, 0.15, 0.1, 0.05; cumulative 0.5, 0.7, 0.85, 0.95, 1.
  for (const [p, want] of [
    [0.5, [2]],
    [0.6, [2, 4]],
    [0.8, [0, 2, 4]],
    [0.9, [0, 2, 3, 4]],
    [1, [0, 1, 2, 3, 4]],
  ] as const) {
    const c = fresh();
    topP(c, p);
    assert.deepEqual(ids(c), want, `top-p ${p}`);
  }
});

test('min-p keeps tokens at least p times as probable as the best', () => {
  for (const [p, want] of [
    [0.25, [0, 2, 4]], // 0.125 floor
    [0.19, [0, 2, 3, 4]], // 0.095 floor
    [0.5, [2]], // 0.25 floor
    [0, [0, 1, 2, 3, 4]],
  ] as const) {
    const c = fresh();
    minP(c, p);
    assert.deepEqual(ids(c), want, `min-p ${p}`);
  }
});

test('typical-p keeps the tokens whose surprise is nearest the entropy, recomputed in float64', () => {
  const entropy = -PROBS.reduce((h, p) => h + p * Math.log(p), 0);
  const byDistance = PROBS.map((p, id) => ({ id, p, d: Math.abs(-Math.log(p) - entropy) })).sort((a, b) => a.d - b.d);
  // By hand: entropy 1.3331; distances 0.2 -> 0.276, 0.15 -> 0.564, 0.5 -> 0.640, 0.1 -> 0.970, 0.05 -> 1.663.
  assert.deepEqual(byDistance.map((x) => x.id), [4, 0, 2, 3, 1]);
  for (const p of [0.1, 0.3, 0.5, 0.9, 0.99]) {
    let sum = 0;
    const want: number[] = [];
    for (const x of byDistance) {
      want.push(x.id);
      sum += x.p;
      if (sum > p) break;
    }
    const c = fresh();
    typicalP(c, p);
    assert.deepEqual(ids(c), want.sort((a, b) => a - b), `typical-p ${p}`);
  }
});

test('penalties: repetition divides positive logits and multiplies negative ones; frequency and presence subtract', () => {
  const c = candidatesOf([2, -1, 0.5, 3]);
  applyPenalties(c, new Map([[0, 2], [1, 1], [2, 0]]), 1.5, 0.25, 0.5);
  assert.deepEqual(c.logits, [2 / 1.5 - 2 * 0.25 - 0.5, -1 * 1.5 - 0.25 - 0.5, 0.5, 3]);
});

test('temperature then draw: each token is drawn over exactly its share of [0, 1)', () => {
  const t = 0.7;
  const c = fresh();
  temperature(c, t);
  // float64: p_i^(1/t) normalized.
  const w = PROBS.map((p) => Math.pow(p, 1 / t));
  const total = w.reduce((a, b) => a + b, 0);
  let edge = 0;
  PROBS.forEach((_, i) => {
    const share = w[i]! / total;
    assert.equal(draw(c, edge + share * 0.01), i);
    assert.equal(draw(c, edge + share * 0.99), i);
    edge += share;
  });
});

test('the sampler follows llama.cpp\'s chain: logit bias and penalties, then top-k, typical, top-p, min-p, temperature', () => {
  // Greedy sees bias and penalties: token 2 (the best) is banned, token 4 is penalized below token 0.
  const greedy = new Sampler({ temperature: 0, logitBias: new Map([[2, -Infinity]]), repeatPenalty: 2 });
  greedy.accept(4);
  // logits: 4 -> log 0.2 = -1.61 * 2 = -3.22, 0 -> log 0.15 = -1.90.
  assert.equal(greedy.sample(LOGITS), 0);

  // top-k 3 then min-p 0.35 (of the best: 0.5 -> floor 0.175): only tokens 2 and 4 remain, drawn 0.5 : 0.2.
  const s = new Sampler({ temperature: 1, topK: 3, topP: 1, minP: 0.35, seed: 7 });
  const counts = new Map<number, number>();
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const id = s.sample(LOGITS);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  assert.deepEqual([...counts.keys()].sort(), [2, 4]);
  const share = counts.get(2)! / n;
  // Expected 0.5 / 0.7 = 0.714; binomial standard deviation 0.0032, allow 5.
  assert.ok(Math.abs(share - 0.5 / 0.7) < 0.016, `token 2 drawn ${share}`);
});

test('greedy without penalties (no candidate list) picks what the full chain picks: bias applied, first of equal maxima', () => {
  const logits = Float32Array.from([1, 3, 3, 2, -Infinity, 2.5]);
  const pick = (bias?: Map<number, number>, repeatPenalty = 1): number => {
    const s = new Sampler({ temperature: 0, logitBias: bias, repeatPenalty });
    s.accept(0); // penalizes token 0 only when repeatPenalty != 1: the candidate-list path
    return s.sample(logits);
  };
  for (const bias of [undefined, new Map([[1, -1]]), new Map([[1, -Infinity], [2, -Infinity]]), new Map([[4, Infinity]]), new Map([[3, 1]])]) {
    assert.equal(pick(bias), pick(bias, 1.0000001), `bias ${JSON.stringify([...(bias ?? [])])}`);
  }
  assert.equal(pick(), 1);
  assert.equal(pick(new Map([[1, -1]])), 2);
  assert.equal(pick(new Map([[3, 1]])), 1, 'token 3 biased to tie with token 1: the first wins');
  assert.equal(pick(new Map([[3, 1.5]])), 3);
});

test('a seed makes sampling reproducible; another seed changes it', () => {
  const run = (seed: number): number[] => {
    const s = new Sampler({ seed, temperature: 1.5, topK: 0, topP: 1, minP: 0 });
    return Array.from({ length: 200 }, () => s.sample(LOGITS));
  };
  assert.deepEqual(run(123), run(123));
  assert.notDeepEqual(run(123), run(124));
});

test('out-of-range sampling options are refused, naming the option', () => {
  assert.throws(() => new Sampler({ temperature: -1 }), /temperature/);
  assert.throws(() => new Sampler({ topP: 2 }), /topP/);
  assert.throws(() => new Sampler({ topK: 1.5 }), /topK/);
  assert.throws(() => new Sampler({ repeatPenalty: 0 }), /repeatPenalty/);
});
