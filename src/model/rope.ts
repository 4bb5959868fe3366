import type { RopeParams } from '../backend/backend.js';
import type { LlamaConfig, RopeScaling } from './config.js';

/**
 * Rotary embedding frequencies of a llama-family model: pair i of the first `ropeDim` dimensions turns by
 * position · base^(-2i/ropeDim), scaled for long contexts as the model asks.
 * `freqFactors` (GGUF's rope_freqs.weight, written by converters for Llama 3.1+) divides each frequency and
 * replaces the formula of `ropeScaling` when present, as llama.cpp does.
 */
export function ropeParams(config: LlamaConfig, freqFactors?: Float32Array): RopeParams {
  const dims = config.ropeDim;
  const invFreq = new Float32Array(dims / 2);
  for (let i = 0; i < dims / 2; i++) {
    const base = Math.pow(config.ropeFreqBase, (-2 * i) / dims);
    invFreq[i] = freqFactors !== undefined ? base / freqFactors[i]! : scaled(base, config.ropeScaling);
  }
  return { dims, invFreq, neox: config.architecture === 'qwen2' };
}

function scaled(freq: number, s: RopeScaling): number {
  switch (s.kind) {
    case 'none':
      return freq;
    case 'linear':
      return freq / s.factor;
    case 'llama3': {
      // Long wavelengths (beyond the original context) slow down by `factor`, short ones stay, the band between blends.
      const wavelen = (2 * Math.PI) / freq;
      const lowFreqWavelen = s.originalContextLength / s.lowFreqFactor;
      const highFreqWavelen = s.originalContextLength / s.highFreqFactor;
      if (wavelen < highFreqWavelen) return freq;
      if (wavelen > lowFreqWavelen) return freq / s.factor;
      const smooth = (s.originalContextLength / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      return (1 - smooth) * (freq / s.factor) + smooth * freq;
    }
  }
}
