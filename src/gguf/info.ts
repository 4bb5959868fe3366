import { typeName } from '../tensor/ggml-type.js';
import { fileTypeName, guessedFileTypeName } from './file-type.js';
import type { GGUFFile } from './reader.js';
import { GGUFValueType, isGGUFArray, type GGUFValue } from './types.js';

/** How many leading items of an array `metadata` shows (as gguf-py dumps do). */
const ARRAY_HEAD = 5;

export type JsonScalar = number | string | boolean;
export interface ArraySummary {
  readonly arrayOf: string;
  readonly length: number;
  readonly first: readonly (JsonScalar | ArraySummary)[];
}

export interface QuantShare {
  readonly type: string;
  readonly tensors: number;
  readonly bytes: number;
}

export interface TensorRow {
  readonly name: string;
  readonly type: string;
  /** Innermost first, as GGUF stores them. */
  readonly dims: readonly number[];
  /** From the start of the data section. */
  readonly offset: number;
  readonly bytes: number;
}

/** A model file at a glance. Field names are stable: scripts read `realizar info --json`. */
export interface ModelInfo {
  readonly file: string;
  readonly fileSize: number;
  readonly ggufVersion: number;
  readonly alignment: number;
  readonly dataOffset: number;
  readonly architecture: string | null;
  readonly name: string | null;
  readonly parameterCount: number;
  /** llama.cpp's name for the file's quantization (general.file_type, or guessed from its tensors as llama.cpp does). */
  readonly fileType: string;
  /** Bytes of all tensor data, and bits per weight over all tensors (llama.cpp's "file size" and "BPW"). */
  readonly tensorBytes: number;
  readonly bitsPerWeight: number;
  readonly blockCount: number | null;
  /** A per-layer list where the file gives one (llama.cpp allows that). */
  readonly headCount: number | number[] | null;
  readonly headCountKv: number | number[] | null;
  readonly embeddingLength: number | null;
  readonly feedForwardLength: number | number[] | null;
  readonly contextLength: number | null;
  /** Tensor types by bytes, largest first. */
  readonly quantization: readonly QuantShare[];
  readonly tokenizer: { readonly model: string; readonly kind: string; readonly pre: string | null; readonly vocabSize: number } | null;
  readonly chatTemplate: boolean;
  readonly tensorCount: number;
  readonly metadataCount: number;
  /** Every metadata value; arrays summarized by item type, length and first items; 64-bit integers past 2^53 as strings. */
  readonly metadata: Readonly<Record<string, JsonScalar | ArraySummary>>;
  readonly tensors: readonly TensorRow[];
}

const TOKENIZER_KINDS: Readonly<Record<string, string>> = {
  llama: 'SentencePiece',
  gpt2: 'byte-level BPE',
  bert: 'WordPiece',
  t5: 'Unigram',
  rwkv: 'RWKV',
  no_vocab: 'none',
};

function jsonOf(v: GGUFValue): JsonScalar | ArraySummary {
  if (isGGUFArray(v)) {
    return { arrayOf: GGUFValueType[v.itemType] ?? String(v.itemType), length: v.items.length, first: v.items.slice(0, ARRAY_HEAD).map(jsonOf) };
  }
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

/** A scalar number or a per-layer list; anything else (a corrupt but parseable file) counts as absent. */
function numberOrList(v: GGUFValue | undefined): number | number[] | null {
  const one = (x: GGUFValue): number | null => (typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : null);
  if (v === undefined) return null;
  if (isGGUFArray(v)) {
    const list = v.items.map(one);
    return list.every((x): x is number => x !== null) ? list : null;
  }
  return one(v);
}

const scalar = (v: number | number[] | null): number | null => (typeof v === 'number' ? v : null);
const stringOf = (v: GGUFValue | undefined): string | null => (typeof v === 'string' ? v : null);

/**
 * Summarizes an open GGUF file. Reads the header only, and tolerates metadata of unexpected types (it reports
 * what is there; llamaConfigFromGGUF is where a model's needs are enforced).
 */
export function modelInfo(f: GGUFFile): ModelInfo {
  const arch = stringOf(f.get('general.architecture'));
  const hp = (k: string): number | number[] | null => (arch === null ? null : numberOrList(f.get(`${arch}.${k}`)));

  const shares = new Map<string, { tensors: number; bytes: number }>();
  let parameterCount = 0;
  let tensorBytes = 0;
  for (const t of f.tensors) {
    tensorBytes += t.byteSize;
    const s = shares.get(typeName(t.type)) ?? { tensors: 0, bytes: 0 };
    s.tensors += 1;
    s.bytes += t.byteSize;
    shares.set(typeName(t.type), s);
    parameterCount += t.count;
  }

  const fileType = f.get('general.file_type');
  const tokenizerModel = stringOf(f.get('tokenizer.ggml.model'));
  const tokens = f.get('tokenizer.ggml.tokens');
  const metadata: Record<string, JsonScalar | ArraySummary> = {};
  for (const [key, entry] of f.metadata) metadata[key] = jsonOf(entry.value);

  return {
    file: f.path,
    fileSize: f.fileSize,
    ggufVersion: f.version,
    alignment: f.alignment,
    dataOffset: f.dataOffset,
    architecture: arch,
    name: stringOf(f.get('general.name')),
    parameterCount,
    fileType: typeof fileType === 'number' ? fileTypeName(fileType) : guessedFileTypeName(f.tensors),
    tensorBytes,
    bitsPerWeight: parameterCount === 0 ? 0 : (tensorBytes * 8) / parameterCount,
    blockCount: scalar(hp('block_count')),
    headCount: hp('attention.head_count'),
    headCountKv: hp('attention.head_count_kv'),
    embeddingLength: scalar(hp('embedding_length')),
    feedForwardLength: hp('feed_forward_length'),
    contextLength: scalar(hp('context_length')),
    quantization: [...shares].map(([type, s]) => ({ type, ...s })).sort((a, b) => b.bytes - a.bytes || a.type.localeCompare(b.type)),
    tokenizer:
      tokenizerModel === null
        ? null
        : {
            model: tokenizerModel,
            kind: TOKENIZER_KINDS[tokenizerModel] ?? 'unknown',
            pre: stringOf(f.get('tokenizer.ggml.pre')),
            vocabSize: tokens !== undefined && isGGUFArray(tokens) ? tokens.items.length : 0,
          },
    chatTemplate: typeof f.get('tokenizer.chat_template') === 'string',
    tensorCount: f.tensors.length,
    metadataCount: f.metadata.size,
    metadata,
    tensors: f.tensors.map((t) => ({ name: t.name, type: typeName(t.type), dims: t.dims, offset: t.offset, bytes: t.byteSize })),
  };
}

/** 1234567 -> "1.18 MiB". */
export function humanBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(2)} ${units[u]}`;
}

/** 292352 -> "292.35 K", as llama.cpp prints model params. */
export function humanCount(n: number): string {
  for (const [scale, suffix] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']] as const) {
    if (n >= scale) return `${(n / scale).toFixed(2)} ${suffix}`;
  }
  return String(n);
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

const listText = (v: number | number[] | null): string => (v === null ? '-' : Array.isArray(v) ? `[${v.join(', ')}]` : String(v));

/** Characters of a string value `info --metadata` shows before cutting it (a chat template runs to kilobytes). */
const STRING_HEAD = 80;

/** A metadata value on one line: strings quoted (and cut), arrays as item type, length and first items. */
function metadataText(v: JsonScalar | ArraySummary): string {
  if (typeof v === 'object') {
    const more = v.length > v.first.length ? ', ...' : '';
    return `[${v.arrayOf} × ${v.length}] ${v.first.map(metadataText).join(', ')}${more}`;
  }
  if (typeof v !== 'string') return String(v);
  const head = JSON.stringify(v.length > STRING_HEAD ? v.slice(0, STRING_HEAD) : v);
  return v.length > STRING_HEAD ? `${head}... (${v.length} characters)` : head;
}

/** The human-readable report `realizar info` prints. */
export function formatInfo(info: ModelInfo, withTensors: boolean, withMetadata = false): string {
  const rows: [string, string][] = [
    ['file', `${info.file} (${humanBytes(info.fileSize)}, GGUF v${info.ggufVersion})`],
    ['architecture', info.architecture ?? '-'],
    ['name', info.name ?? '-'],
    ['parameters', `${humanCount(info.parameterCount)} (${info.parameterCount})`],
    ['layers', listText(info.blockCount)],
    ['heads', `${listText(info.headCount)} (KV heads ${listText(info.headCountKv ?? info.headCount)})`],
    ['embedding', listText(info.embeddingLength)],
    ['feed-forward', listText(info.feedForwardLength)],
    ['context', listText(info.contextLength)],
    ['file type', info.tensorCount === 0 ? '-' : info.fileType],
    ['weights', info.tensorCount === 0 ? '-' : `${humanBytes(info.tensorBytes)} (${info.bitsPerWeight.toFixed(2)} bits per weight)`],
    ['quantization', info.quantization.map((q) => `${q.type}: ${plural(q.tensors, 'tensor')}, ${humanBytes(q.bytes)}`).join('; ') || '-'],
    ['tokenizer', info.tokenizer === null ? '-' : `${info.tokenizer.model} (${info.tokenizer.kind}${info.tokenizer.pre ? `, pre ${info.tokenizer.pre}` : ''}), ${info.tokenizer.vocabSize} tokens`],
    ['chat template', info.chatTemplate ? 'yes' : 'no'],
    ['tensors', `${info.tensorCount} (data at byte ${info.dataOffset}, aligned to ${info.alignment})`],
    ['metadata keys', String(info.metadataCount)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => k.padEnd(width) + v);
  if (withMetadata) {
    lines.push('');
    const keyWidth = Math.max(0, ...Object.keys(info.metadata).map((k) => k.length)) + 2;
    for (const [key, value] of Object.entries(info.metadata)) lines.push(key.padEnd(keyWidth) + metadataText(value));
  }
  if (withTensors) {
    lines.push('');
    const nameWidth = Math.max(4, ...info.tensors.map((t) => t.name.length)) + 2;
    lines.push(`${'name'.padEnd(nameWidth)}${'type'.padEnd(9)}${'dims'.padEnd(22)}${'offset'.padStart(14)}${'bytes'.padStart(14)}`);
    for (const t of info.tensors) {
      lines.push(`${t.name.padEnd(nameWidth)}${t.type.padEnd(9)}${`[${t.dims.join(', ')}]`.padEnd(22)}${String(t.offset).padStart(14)}${String(t.bytes).padStart(14)}`);
    }
  }
  return lines.join('\n') + '\n';
}
