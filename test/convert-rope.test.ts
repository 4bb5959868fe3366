import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ropeFreqFactors } from '../src/convert/convert-hf.js';
import { ropeParams } from '../src/model/rope.js';
import type { LlamaConfig } from '../src/model/config.js';

const LLAMA31: LlamaConfig = {
  architecture: 'llama',
  name: 'llama-3.1-shape',
  vocabSize: 128256,
  embeddingLength: 4096,
  blockCount: 32,
  feedForwardLength: 14336,
  headCount: 32,
  headCountKv: 8,
  headDim: 128,
  contextLength: 131072,
  rmsEps: 1e-5,
  ropeFreqBase: 500000,
  ropeDim: 128,
  ropeScaling: { kind: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContextLength: 8192 },
};

test('rope_freqs.weight written for llama3 scaling gives the frequencies the model computes from rope_scaling', () => {
  const factors = ropeFreqFactors(LLAMA31)!;
  assert.equal(factors.length, 64);
  // High frequencies are untouched and the lowest slow down by the full factor.
  assert.equal(factors[0], 1);
  assert.equal(factors[63], 8);
  assert.ok(factors.some((f) => f > 1 && f < 8), 'a smooth band in between');
  // The model's own implementation of llama3 scaling (model/rope.ts) must agree with dividing by these factors.
  const fromConfig = ropeParams(LLAMA31).invFreq;
  const fromFactors = ropeParams(LLAMA31, factors).invFreq;
  for (let i = 0; i < 64; i++) assert.ok(Math.abs(fromConfig[i]! - fromFactors[i]!) <= 1e-6 * fromConfig[i]!, `frequency ${i}: ${fromConfig[i]} vs ${fromFactors[i]}`);
  assert.equal(ropeFreqFactors({ ...LLAMA31, ropeScaling: { kind: 'none' } }), undefined);
});
