import { fail } from '../errors.js';
import type { GGUFFile } from '../gguf/reader.js';
import type { LlamaConfig, RopeScaling } from './config.js';

/** Stand-in for gguf/hparams.ts (being written by the GGUF engineer): just what the decoder reads. */
export function llamaConfigFromGGUF(f: GGUFFile): LlamaConfig {
  const arch = f.requireString('general.architecture');
  const key = (k: string): string => `${arch}.${k}`;
  const embeddingLength = f.requireCount(key('embedding_length'));
  const headCount = f.requireCount(key('attention.head_count'));
  const headDim = f.getCount(key('attention.key_length')) ?? embeddingLength / headCount;
  const vocabSize = f.getCount(key('vocab_size')) ?? f.getArray('tokenizer.ggml.tokens')?.items.length ?? fail('MISSING', `${f.path}: no vocabulary size`);
  return {
    architecture: arch,
    name: f.getString('general.name') ?? arch,
    vocabSize,
    embeddingLength,
    blockCount: f.requireCount(key('block_count')),
    feedForwardLength: f.requireCount(key('feed_forward_length')),
    headCount,
    headCountKv: f.getCount(key('attention.head_count_kv')) ?? headCount,
    headDim,
    contextLength: f.requireCount(key('context_length')),
    rmsEps: f.getNumber(key('attention.layer_norm_rms_epsilon')) ?? 1e-5,
    ropeFreqBase: f.getNumber(key('rope.freq_base')) ?? 10000,
    ropeDim: f.getCount(key('rope.dimension_count')) ?? headDim,
    ropeScaling: ropeScaling(f, arch),
  };
}

function ropeScaling(f: GGUFFile, arch: string): RopeScaling {
  const type = f.getString(`${arch}.rope.scaling.type`) ?? 'none';
  if (type === 'none') return { kind: 'none' };
  if (type === 'linear') return { kind: 'linear', factor: f.getNumber(`${arch}.rope.scaling.factor`) ?? 1 };
  return fail('UNSUPPORTED', `${f.path}: rope scaling '${type}' is not supported (none, linear, llama3)`);
}
