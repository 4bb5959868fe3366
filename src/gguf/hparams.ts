import { basename } from 'node:path';
import { fail } from '../errors.js';
import { quoted } from './quoted.js';
import type { LlamaConfig, RopeScaling } from '../model/config.js';
import type { GGUFFile } from './reader.js';
import { isGGUFArray } from './types.js';

const SUPPORTED_ARCHITECTURES = ['llama', 'qwen2'];

/**
 * A per-layer hyper-parameter: llama.cpp accepts a scalar or one value per layer (get_key_or_arr).
 * Our models need every layer alike.
 */
function uniformCount(f: GGUFFile, key: string): number | undefined {
  const v = f.get(key);
  if (v === undefined || !isGGUFArray(v)) return f.getCount(key);
  const values = f.getNumberArray(key)!;
  const first = values[0];
  if (first === undefined || !values.every((v) => v === first)) {
    fail('UNSUPPORTED', `${f.path}: ${quoted(key)} differs between layers ([${values.slice(0, 8).join(', ')}...]); only uniform layers are supported`);
  }
  if (!Number.isInteger(first) || first < 0) fail('BAD_FILE', `${f.path}: metadata key ${quoted(key)} is ${first}, expected a non-negative integer`);
  return first;
}

function positive(f: GGUFFile, key: string, value: number): number {
  if (!(value > 0)) fail('BAD_FILE', `${f.path}: metadata key ${quoted(key)} is ${value}, expected a positive value`);
  return value;
}

/**
 * Rope scaling as llama.cpp reads it: `<arch>.rope.scaling.type` defaults to "linear" and a missing or zero
 * factor means no scaling. GGUF files from llama.cpp carry Llama 3's frequency factors as a `rope_freqs.weight`
 * tensor (the model applies it); "llama3" with explicit factor keys is accepted for files that carry them
 * as metadata instead.
 */
function ropeScaling(f: GGUFFile, arch: string): RopeScaling {
  const key = (k: string): string => `${arch}.rope.scaling.${k}`;
  const type = f.getString(key('type')) ?? 'linear';
  const factor = f.getNumber(key('factor')) ?? f.getNumber(`${arch}.rope.scale_linear`) ?? 0;
  switch (type) {
    case 'none':
      return { kind: 'none' };
    case 'linear':
      return factor === 0 || factor === 1 ? { kind: 'none' } : { kind: 'linear', factor: positive(f, key('factor'), factor) };
    case 'llama3':
      return {
        kind: 'llama3',
        factor: positive(f, key('factor'), f.requireNumber(key('factor'))),
        lowFreqFactor: positive(f, key('low_freq_factor'), f.requireNumber(key('low_freq_factor'))),
        highFreqFactor: positive(f, key('high_freq_factor'), f.requireNumber(key('high_freq_factor'))),
        originalContextLength: positive(f, key('original_context_length'), f.requireCount(key('original_context_length'))),
      };
    case 'yarn':
    case 'longrope':
      return fail('UNSUPPORTED', `${f.path}: rope scaling ${quoted(type)} (${key('type')}) is not supported; use a model without ${type} context extension`);
    default:
      return fail('BAD_FILE', `${f.path}: unknown rope scaling type ${quoted(type)} in ${key('type')} (llama.cpp knows none, linear, yarn, longrope)`);
  }
}

/** Vocabulary size as llama.cpp finds it: `<arch>.vocab_size`, else the token list, else token_embd's rows. */
function vocabSize(f: GGUFFile, arch: string): number {
  const n = f.getCount(`${arch}.vocab_size`) ?? f.getArray('tokenizer.ggml.tokens')?.items.length ?? f.tensor('token_embd.weight')?.dims[1];
  if (n === undefined) fail('MISSING', `${f.path}: no vocabulary size: none of '${arch}.vocab_size', 'tokenizer.ggml.tokens', tensor 'token_embd.weight'`);
  return positive(f, `${arch}.vocab_size`, n);
}

/** The hyper-parameters of a llama or qwen2 GGUF, with llama.cpp's defaults and checks. */
export function llamaConfigFromGGUF(f: GGUFFile): LlamaConfig {
  const arch = f.requireString('general.architecture');
  if (!SUPPORTED_ARCHITECTURES.includes(arch)) {
    fail('UNSUPPORTED', `${f.path}: architecture ${quoted(arch)} is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
  }
  const key = (k: string): string => `${arch}.${k}`;
  const required = (k: string): number => positive(f, key(k), uniformCount(f, key(k)) ?? fail('MISSING', `${f.path}: required metadata key '${key(k)}' is missing`));

  if ((f.getCount(key('expert_count')) ?? 0) > 0) {
    fail('UNSUPPORTED', `${f.path}: mixture-of-experts models (${key('expert_count')} = ${f.getCount(key('expert_count'))}) are not supported`);
  }
  const embeddingLength = required('embedding_length');
  const headCount = required('attention.head_count');
  const headCountKv = positive(f, key('attention.head_count_kv'), uniformCount(f, key('attention.head_count_kv')) ?? headCount);
  if (headCount % headCountKv !== 0) {
    fail('BAD_FILE', `${f.path}: ${headCount} attention heads cannot be shared by ${headCountKv} KV heads (${key('attention.head_count_kv')})`);
  }
  const headDim = positive(f, key('attention.key_length'), f.getCount(key('attention.key_length')) ?? Math.floor(embeddingLength / headCount));
  const valueLength = f.getCount(key('attention.value_length')) ?? headDim;
  if (valueLength !== headDim) fail('UNSUPPORTED', `${f.path}: value heads of ${valueLength} differ from key heads of ${headDim}; not supported`);
  const ropeDim = positive(f, key('rope.dimension_count'), f.getCount(key('rope.dimension_count')) ?? headDim);
  if (ropeDim > headDim || ropeDim % 2 !== 0) fail('BAD_FILE', `${f.path}: ${key('rope.dimension_count')} is ${ropeDim}, must be even and at most the head size ${headDim}`);
  // llama.cpp refuses partial rotary embeddings for llama.
  if (arch === 'llama' && ropeDim !== headDim) fail('BAD_FILE', `${f.path}: ${key('rope.dimension_count')} is ${ropeDim}, llama needs the head size ${headDim}`);

  return {
    architecture: arch,
    name: f.getString('general.name') ?? basename(f.path, '.gguf'),
    vocabSize: vocabSize(f, arch),
    embeddingLength,
    blockCount: required('block_count'),
    feedForwardLength: required('feed_forward_length'),
    headCount,
    headCountKv,
    headDim,
    contextLength: required('context_length'),
    // llama.cpp has no default for llama and qwen2 either.
    rmsEps: positive(f, key('attention.layer_norm_rms_epsilon'), f.requireNumber(key('attention.layer_norm_rms_epsilon'))),
    ropeFreqBase: positive(f, key('rope.freq_base'), f.getNumber(key('rope.freq_base')) ?? 10000),
    ropeDim,
    ropeScaling: ropeScaling(f, arch),
  };
}
