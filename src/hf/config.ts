import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fail } from '../errors.js';
import type { SamplingOptions } from '../generate/types.js';
import type { LlamaConfig, RopeScaling } from '../model/config.js';

/** Hugging Face `architectures` we run, and the GGUF architecture each becomes (Mistral is llama in GGUF). */
const ARCHITECTURES: Readonly<Record<string, string>> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'llama',
  Qwen2ForCausalLM: 'qwen2',
};

/** What a Hugging Face folder's config.json says, beyond the hyper-parameters a model needs to run. */
export interface HFModelConfig {
  readonly config: LlamaConfig;
  /** The `architectures[0]` entry, e.g. 'LlamaForCausalLM'. */
  readonly hfArchitecture: string;
  /** The output projection is the token embedding (no lm_head.weight). */
  readonly tieWordEmbeddings: boolean;
  readonly bosTokenId: number | undefined;
  /** All end-of-sequence ids (generation_config.json may list several). */
  readonly eosTokenIds: readonly number[];
  /** Sampling defaults the model ships in generation_config.json. */
  readonly generationDefaults: SamplingOptions;
}

type Json = Record<string, unknown>;

function readJSON(path: string): Json {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'MISSING' : 'BAD_FILE', `${path}: ${code === 'ENOENT' ? 'not found' : `cannot parse (${(e as Error).message})`}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('BAD_FILE', `${path}: must hold a JSON object`);
  return raw as Json;
}

/** Typed access to one JSON file's keys, every error naming the file and the key. */
class Keys {
  constructor(
    private readonly path: string,
    private readonly obj: Json,
  ) {}

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  private missing(key: string): never {
    return fail('MISSING', `${this.path}: required key '${key}' is missing`);
  }

  int(key: string, fallback?: number): number {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback ?? this.missing(key);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) fail('BAD_FILE', `${this.path}: '${key}' must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  }

  num(key: string, fallback?: number): number {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback ?? this.missing(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail('BAD_FILE', `${this.path}: '${key}' must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A token id or list of them (eos_token_id may be either). */
  ids(key: string): number[] {
    const v = this.obj[key];
    if (v === undefined || v === null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) fail('BAD_FILE', `${this.path}: '${key}' must be a token id or a list of them, got ${JSON.stringify(v)}`);
    return list as number[];
  }
}

function ropeScaling(path: string, raw: unknown): RopeScaling {
  if (raw === undefined || raw === null) return { kind: 'none' };
  if (typeof raw !== 'object' || Array.isArray(raw)) fail('BAD_FILE', `${path}: 'rope_scaling' must be an object or null`);
  const keys = new Keys(`${path} rope_scaling`, raw as Json);
  const kind = String((raw as Json).rope_type ?? (raw as Json).type ?? 'default');
  switch (kind) {
    case 'default':
      return { kind: 'none' };
    case 'linear':
      return { kind: 'linear', factor: keys.num('factor') };
    case 'llama3':
      // Defaults are Llama 3.1's, the values llama.cpp's converter falls back to.
      return {
        kind: 'llama3',
        factor: keys.num('factor', 8),
        lowFreqFactor: keys.num('low_freq_factor', 1),
        highFreqFactor: keys.num('high_freq_factor', 4),
        originalContextLength: keys.int('original_max_position_embeddings', 8192),
      };
    default:
      return fail('UNSUPPORTED', `${path}: rope_scaling type '${kind}' is not supported (linear and llama3 are)`);
  }
}

/** Sampling defaults from generation_config.json; `do_sample: false` means greedy, as in transformers. */
function generationDefaults(keys: Keys | undefined): SamplingOptions {
  if (keys === undefined) return {};
  const out: SamplingOptions = {};
  const pick = (key: string): number | undefined => {
    const v = keys.raw(key);
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const temperature = pick('temperature');
  const topP = pick('top_p');
  const topK = pick('top_k');
  const repeatPenalty = pick('repetition_penalty');
  if (keys.raw('do_sample') === false) out.temperature = 0;
  else if (temperature !== undefined) out.temperature = temperature;
  if (topP !== undefined) out.topP = topP;
  if (topK !== undefined) out.topK = topK;
  if (repeatPenalty !== undefined) out.repeatPenalty = repeatPenalty;
  return out;
}

/** Reads `dir`/config.json (and generation_config.json when present) into our model config. */
export function readHFConfig(dir: string): HFModelConfig {
  const path = join(dir, 'config.json');
  const json = readJSON(path);
  const keys = new Keys(path, json);
  const archs = json.architectures;
  if (!Array.isArray(archs) || typeof archs[0] !== 'string') fail('MISSING', `${path}: required key 'architectures' is missing`);
  const hfArchitecture = archs[0] as string;
  const architecture = ARCHITECTURES[hfArchitecture];
  if (architecture === undefined) {
    fail('UNSUPPORTED', `${path}: architecture '${hfArchitecture}' is not supported (supported: ${Object.keys(ARCHITECTURES).join(', ')})`);
  }

  const embeddingLength = keys.int('hidden_size');
  const headCount = keys.int('num_attention_heads');
  const headCountKv = keys.int('num_key_value_heads', headCount);
  if (headCount % headCountKv !== 0) fail('BAD_FILE', `${path}: num_attention_heads ${headCount} is not a multiple of num_key_value_heads ${headCountKv}`);
  if (!keys.has('head_dim') && embeddingLength % headCount !== 0) {
    fail('BAD_FILE', `${path}: hidden_size ${embeddingLength} is not a multiple of num_attention_heads ${headCount}; set head_dim`);
  }
  const headDim = keys.int('head_dim', embeddingLength / headCount);
  if (headDim % 2 !== 0) fail('BAD_FILE', `${path}: head_dim ${headDim} must be even for rotary embeddings`);

  const config: LlamaConfig = {
    architecture,
    name: typeof json._name_or_path === 'string' && json._name_or_path !== '' ? basename(json._name_or_path) : basename(dir),
    vocabSize: keys.int('vocab_size'),
    embeddingLength,
    blockCount: keys.int('num_hidden_layers'),
    feedForwardLength: keys.int('intermediate_size'),
    headCount,
    headCountKv,
    headDim,
    contextLength: keys.int('max_position_embeddings'),
    // GGUF (and llama.cpp's compute) holds these as f32; rounding here makes a folder and its conversion agree exactly.
    rmsEps: Math.fround(keys.num('rms_norm_eps')),
    ropeFreqBase: Math.fround(keys.num('rope_theta', 10000)),
    ropeDim: headDim,
    ropeScaling: ropeScaling(path, json.rope_scaling),
  };

  const genPath = join(dir, 'generation_config.json');
  const gen = existsSync(genPath) ? new Keys(genPath, readJSON(genPath)) : undefined;
  const bos = gen?.ids('bos_token_id')[0] ?? keys.ids('bos_token_id')[0];
  const eos = gen !== undefined && gen.ids('eos_token_id').length > 0 ? gen.ids('eos_token_id') : keys.ids('eos_token_id');
  const tie = json.tie_word_embeddings;
  if (tie !== undefined && typeof tie !== 'boolean') fail('BAD_FILE', `${path}: 'tie_word_embeddings' must be true or false`);

  return {
    config,
    hfArchitecture,
    // LlamaConfig, MistralConfig and Qwen2Config all default to untied.
    tieWordEmbeddings: tie ?? false,
    bosTokenId: bos,
    eosTokenIds: eos,
    generationDefaults: generationDefaults(gen),
  };
}
