import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../src/backend/js/backend.js';
import { Rng } from '../src/generate/rng.js';
import type { LlamaConfig } from '../src/model/config.js';
import { Llama } from '../src/model/llama.js';
import type { ModelSource, SourceTensor } from '../src/model/source.js';
import { GGMLType } from '../src/tensor/ggml-type.js';
import type { Tokenizer } from '../src/tokenizer/tokenizer.js';

/*
 * The decoder against a float64 transcription of the math, on small random models of each variant the
 * reference files do not cover: qwen2 (q/k/v biases, NeoX rope over part of each head), rope scaling (linear,
 * llama3, rope_freqs factors), a tied output matrix, grouped-query attention.
 */

type Weights = Map<string, { dims: number[]; data: Float64Array }>;

function randomWeights(c: LlamaConfig, seed: number, options: { bias: boolean; tied: boolean; freqFactors: boolean }): Weights {
  const rng = new Rng(seed);
  const w: Weights = new Map();
  const add = (name: string, dims: number[], scale: number, offset = 0): void => {
    const n = dims.reduce((a, b) => a * b, 1);
    // Values are rounded to f32 once so that both computations start from the same numbers.
    const data = Float64Array.from({ length: n }, () => Math.fround(offset + (rng.next() * 2 - 1) * scale));
    w.set(name, { dims, data });
  };
  const qDim = c.headCount * c.headDim;
  const kvDim = c.headCountKv * c.headDim;
  add('token_embd.weight', [c.embeddingLength, c.vocabSize], 1);
  add('output_norm.weight', [c.embeddingLength], 0.2, 1);
  if (!options.tied) add('output.weight', [c.embeddingLength, c.vocabSize], 0.3);
  if (options.freqFactors) add('rope_freqs.weight', [c.ropeDim / 2], 1, 2.5);
  for (let l = 0; l < c.blockCount; l++) {
    const b = `blk.${l}.`;
    add(`${b}attn_norm.weight`, [c.embeddingLength], 0.2, 1);
    add(`${b}attn_q.weight`, [c.embeddingLength, qDim], 0.4);
    add(`${b}attn_k.weight`, [c.embeddingLength, kvDim], 0.4);
    add(`${b}attn_v.weight`, [c.embeddingLength, kvDim], 0.4);
    if (options.bias) {
      add(`${b}attn_q.bias`, [qDim], 0.3);
      add(`${b}attn_k.bias`, [kvDim], 0.3);
      add(`${b}attn_v.bias`, [kvDim], 0.3);
    }
    add(`${b}attn_output.weight`, [qDim, c.embeddingLength], 0.3);
    add(`${b}ffn_norm.weight`, [c.embeddingLength], 0.2, 1);
    add(`${b}ffn_gate.weight`, [c.embeddingLength, c.feedForwardLength], 0.4);
    add(`${b}ffn_up.weight`, [c.embeddingLength, c.feedForwardLength], 0.4);
    add(`${b}ffn_down.weight`, [c.feedForwardLength, c.embeddingLength], 0.3);
  }
  return w;
}

function sourceOf(config: LlamaConfig, w: Weights): ModelSource {
  const tensor = (name: string): SourceTensor | undefined => {
    const t = w.get(name);
    if (t === undefined) return undefined;
    return { name, type: GGMLType.F32, dims: t.dims, read: () => new Uint8Array(Float32Array.from(t.data).buffer) };
  };
  return { path: 'random.gguf', config, tokenizer: {} as Tokenizer, chatTemplate: undefined, tensor, close: () => {} };
}

/** The decoder in float64, written from the equations, one position at a time. */
function referenceLogits(c: LlamaConfig, w: Weights, tokens: number[]): number[][] {
  const get = (name: string): Float64Array => w.get(name)!.data;
  // y = W x for a GGUF matrix [cols, rows].
  const mul = (name: string, x: number[]): number[] => {
    const { dims, data } = w.get(name)!;
    const [cols, rows] = dims as [number, number];
    return Array.from({ length: rows }, (_, r) => x.reduce((s, v, i) => s + data[r * cols + i]! * v, 0));
  };
  const rms = (x: number[], g: Float64Array): number[] => {
    const s = 1 / Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length + c.rmsEps);
    return x.map((v, i) => v * s * g[i]!);
  };
  const plus = (a: number[], b: number[] | Float64Array | undefined): number[] => (b === undefined ? a : a.map((v, i) => v + b[i]!));
  const neox = c.architecture === 'qwen2';
  const factors = w.get('rope_freqs.weight')?.data;
  const frequency = (i: number): number => {
    const f = Math.pow(c.ropeFreqBase, (-2 * i) / c.ropeDim);
    if (factors !== undefined) return f / factors[i]!;
    const s = c.ropeScaling;
    if (s.kind === 'linear') return f / s.factor;
    if (s.kind === 'llama3') {
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < s.originalContextLength / s.highFreqFactor) return f;
      if (wavelen > s.originalContextLength / s.lowFreqFactor) return f / s.factor;
      const smooth = (s.originalContextLength / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      return (1 - smooth) * (f / s.factor) + smooth * f;
    }
    return f;
  };
  const rotate = (v: number[], heads: number, pos: number): number[] => {
    const out = [...v];
    const half = c.ropeDim / 2;
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < half; i++) {
        const a = h * c.headDim + (neox ? i : 2 * i);
        const b = neox ? a + half : a + 1;
        const th = pos * frequency(i);
        out[a] = v[a]! * Math.cos(th) - v[b]! * Math.sin(th);
        out[b] = v[a]! * Math.sin(th) + v[b]! * Math.cos(th);
      }
    }
    return out;
  };
  const keys: number[][][] = [];
  const values: number[][][] = [];
  const result: number[][] = [];
  tokens.forEach((token, pos) => {
    const e = get('token_embd.weight');
    let x = Array.from(e.subarray(token * c.embeddingLength, (token + 1) * c.embeddingLength));
    for (let l = 0; l < c.blockCount; l++) {
      const b = `blk.${l}.`;
      const h = rms(x, get(`${b}attn_norm.weight`));
      const q = rotate(plus(mul(`${b}attn_q.weight`, h), w.get(`${b}attn_q.bias`)?.data), c.headCount, pos);
      const k = rotate(plus(mul(`${b}attn_k.weight`, h), w.get(`${b}attn_k.bias`)?.data), c.headCountKv, pos);
      const v = plus(mul(`${b}attn_v.weight`, h), w.get(`${b}attn_v.bias`)?.data);
      (keys[l] ??= []).push(k);
      (values[l] ??= []).push(v);
      const att: number[] = [];
      for (let hd = 0; hd < c.headCount; hd++) {
        const kv = Math.floor(hd / (c.headCount / c.headCountKv)) * c.headDim;
        const qh = q.slice(hd * c.headDim, (hd + 1) * c.headDim);
        const scores = keys[l]!.map((kp) => qh.reduce((s, qv, i) => s + qv * kp[kv + i]!, 0) / Math.sqrt(c.headDim));
        const m = Math.max(...scores);
        const e2 = scores.map((s) => Math.exp(s - m));
        const z = e2.reduce((a, b2) => a + b2, 0);
        for (let i = 0; i < c.headDim; i++) att.push(e2.reduce((s, p, t) => s + (p / z) * values[l]![t]![kv + i]!, 0));
      }
      x = plus(x, mul(`${b}attn_output.weight`, att));
      const h2 = rms(x, get(`${b}ffn_norm.weight`));
      const g = mul(`${b}ffn_gate.weight`, h2);
      const u = mul(`${b}ffn_up.weight`, h2);
      x = plus(x, mul(`${b}ffn_down.weight`, g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]!)));
    }
    result.push(mul(w.has('output.weight') ? 'output.weight' : 'token_embd.weight', rms(x, get('output_norm.weight'))));
  });
  return result;
}

const BASE: LlamaConfig = {
  architecture: 'llama',
  name: 'random',
  vocabSize: 40,
  embeddingLength: 32,
  blockCount: 2,
  feedForwardLength: 48,
  headCount: 4,
  headCountKv: 2,
  headDim: 8,
  contextLength: 64,
  rmsEps: 1e-6,
  ropeFreqBase: 10000,
  ropeDim: 8,
  ropeScaling: { kind: 'none' },
};

const VARIANTS: ReadonlyArray<{ name: string; config: Partial<LlamaConfig>; bias: boolean; tied: boolean; freqFactors: boolean }> = [
  { name: 'qwen2: biases, NeoX rope over half of each head, base 1e6', config: { architecture: 'qwen2', ropeDim: 4, ropeFreqBase: 1e6 }, bias: true, tied: false, freqFactors: false },
  { name: 'llama: linear rope scaling, tied output', config: { ropeScaling: { kind: 'linear', factor: 4 } }, bias: false, tied: true, freqFactors: false },
  {
    name: 'llama: llama3 rope scaling',
    config: { ropeFreqBase: 500000, ropeScaling: { kind: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 16 } },
    bias: false,
    tied: false,
    freqFactors: false,
  },
  { name: 'llama: rope_freqs factors (Llama 3.1 GGUF) override the scaling formula', config: { ropeScaling: { kind: 'linear', factor: 4 } }, bias: false, tied: false, freqFactors: true },
];

for (const [i, v] of VARIANTS.entries()) {
  test(`decoder equals a float64 transcription of the math: ${v.name}`, () => {
    const config = { ...BASE, ...v.config };
    const w = randomWeights(config, 100 + i, v);
    const tokens = [3, 17, 0, 39, 8, 8, 21, 5, 30, 12];
    const want = referenceLogits(config, w, tokens);
    const llama = Llama.load(sourceOf(config, w), new JsBackend());
    // Batched and one token at a time, on the same numbers.
    const batched = llama.forward(llama.newSequence(tokens.length), tokens, 'all');
    const seq = llama.newSequence(tokens.length);
    const incremental = tokens.map((t) => llama.forward(seq, [t]));
    want.forEach((row, p) => {
      const range = Math.max(...row) - Math.min(...row);
      row.forEach((x, id) => {
        assert.ok(Math.abs(batched[p * config.vocabSize + id]! - x) <= 1e-5 * range, `batched position ${p} token ${id}: ${batched[p * config.vocabSize + id]} vs ${x}`);
        assert.ok(Math.abs(incremental[p]![id]! - x) <= 1e-5 * range, `incremental position ${p} token ${id}`);
      });
    });
  });
}
