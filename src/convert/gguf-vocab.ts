import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../errors.js';
import { GGUFValueType, type GGUFMetadataEntry } from '../gguf/types.js';
import { GGUFEntry } from '../gguf/writer.js';
import { tokenizerFromHFFolder } from '../tokenizer/hf.js';
import { TokenType } from '../tokenizer/vocab.js';

/*
 * tokenizer.ggml.* metadata from a Hugging Face tokenizer.json, as llama.cpp's loader reads it:
 * a byte-fallback BPE (the form SentencePiece llama tokenizers take in tokenizer.json) becomes model 'llama'
 * with per-token scores; a byte-level BPE becomes model 'gpt2' with its merges and a pre-tokenizer name.
 */

type Json = Record<string, unknown>;

/** Pre-tokenizer regexes (as tokenizer.json writes them) and the tokenizer.ggml.pre name llama.cpp gives them. */
const PRE_BY_PATTERN: ReadonlyMap<string, string> = new Map([
  ["(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", 'llama-bpe'],
  ["(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", 'qwen2'],
]);

/** Every Split regex in a (possibly nested Sequence) pre_tokenizer, and whether a ByteLevel one splits by itself. */
function preTokenizerShape(p: unknown): { patterns: string[]; byteLevelRegex: boolean } {
  const out = { patterns: [] as string[], byteLevelRegex: false };
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as Json;
    if (n.type === 'Sequence' && Array.isArray(n.pretokenizers)) n.pretokenizers.forEach(visit);
    if (n.type === 'Split') {
      const pattern = n.pattern as Json | undefined;
      if (typeof pattern?.Regex === 'string') out.patterns.push(pattern.Regex);
    }
    if (n.type === 'ByteLevel' && n.use_regex !== false) out.byteLevelRegex = true;
  };
  visit(p);
  return out;
}

function preName(path: string, preTokenizer: unknown): string {
  const { patterns, byteLevelRegex } = preTokenizerShape(preTokenizer);
  if (patterns.length === 0 && byteLevelRegex) return 'gpt-2';
  if (patterns.length === 1) {
    const name = PRE_BY_PATTERN.get(patterns[0]!);
    if (name !== undefined) return name;
  }
  return fail('UNSUPPORTED', `${path}: pre_tokenizer is not one llama.cpp knows by name (GPT-2, Llama 3 or Qwen2 style); it cannot be converted faithfully`);
}

function mergePairs(path: string, merges: unknown): string[] {
  if (!Array.isArray(merges)) return fail('MISSING', `${path}: model.merges is missing`);
  return merges.map((m, i) => {
    if (typeof m === 'string') return m;
    if (Array.isArray(m) && m.length === 2 && m.every((s) => typeof s === 'string')) return `${m[0]} ${m[1]}`;
    return fail('BAD_FILE', `${path}: model.merges[${i}] must be "a b" or ["a", "b"]`);
  });
}

/**
 * SentencePiece scores for a byte-fallback BPE vocabulary. llama.cpp's SentencePiece tokenizer merges the
 * adjacent pair whose result has the highest score; Hugging Face's BPE merges the pair of lowest rank. Scoring
 * each token by minus the rank of the first merge producing it makes both pick the same merges. Tokens no merge
 * produces score below every merge result, except control/byte/unknown tokens, which keep 0 as in llama's model.
 */
function spmScores(texts: readonly string[], types: readonly TokenType[], merges: readonly string[]): Float32Array {
  const rankOf = new Map<string, number>();
  merges.forEach((m, rank) => {
    const space = m.indexOf(' ', 1);
    const result = m.slice(0, space) + m.slice(space + 1);
    if (!rankOf.has(result)) rankOf.set(result, rank);
  });
  return Float32Array.from(texts, (t, id) => {
    const rank = rankOf.get(t);
    if (rank !== undefined) return -rank;
    return types[id] === TokenType.NORMAL || types[id] === TokenType.USER_DEFINED ? -(merges.length + id) : 0;
  });
}

/**
 * The tokenizer.ggml.* (and tokenizer.chat_template) entries for the tokenizer in `dir`, its vocabulary padded
 * to the model's `vocabSize` embedding rows with unused `[PADn]` tokens, as llama.cpp's converter does (llama.cpp
 * requires one token per embedding row).
 */
export function tokenizerMetadata(dir: string, vocabSize: number): Map<string, GGUFMetadataEntry> {
  const path = join(dir, 'tokenizer.json');
  if (!existsSync(path)) fail('MISSING', `${path}: not found; convert needs the model's tokenizer.json`);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Json;
  const model = (json.model ?? {}) as Json;
  if (model.type !== 'BPE') fail('UNSUPPORTED', `${path}: tokenizer model '${String(model.type)}' cannot be converted (BPE only)`);
  const tokenizer = tokenizerFromHFFolder(dir);
  const known = tokenizer.vocab.texts;
  if (known.length > vocabSize) fail('BAD_FILE', `${path}: ${known.length} tokens, more than the model's vocab_size ${vocabSize} in config.json`);
  const texts = [...known, ...Array.from({ length: vocabSize - known.length }, (_, i) => `[PAD${known.length + i}]`)];
  // Hugging Face marks <unk> as a special token; GGUF gives it its own type.
  const unkId = typeof model.unk_token === 'string' ? tokenizer.vocab.id(model.unk_token) : undefined;
  const types = texts.map((_, id) => (id >= known.length ? TokenType.UNUSED : id === unkId ? TokenType.UNKNOWN : tokenizer.vocab.type(id)));
  const merges = mergePairs(path, model.merges);
  const spm = model.byte_fallback === true;

  const m = new Map<string, GGUFMetadataEntry>();
  m.set('tokenizer.ggml.model', GGUFEntry.str(spm ? 'llama' : 'gpt2'));
  m.set('tokenizer.ggml.pre', GGUFEntry.str(spm ? 'default' : preName(path, json.pre_tokenizer)));
  m.set('tokenizer.ggml.tokens', GGUFEntry.array(GGUFValueType.STRING, texts));
  if (spm) m.set('tokenizer.ggml.scores', GGUFEntry.array(GGUFValueType.FLOAT32, [...spmScores(texts, types, merges)]));
  m.set('tokenizer.ggml.token_type', GGUFEntry.array(GGUFValueType.INT32, types));
  if (!spm) m.set('tokenizer.ggml.merges', GGUFEntry.array(GGUFValueType.STRING, merges));
  if (tokenizer.bosId !== undefined) m.set('tokenizer.ggml.bos_token_id', GGUFEntry.u32(tokenizer.bosId));
  if (tokenizer.eosId !== undefined) m.set('tokenizer.ggml.eos_token_id', GGUFEntry.u32(tokenizer.eosId));
  if (unkId !== undefined) m.set('tokenizer.ggml.unknown_token_id', GGUFEntry.u32(unkId));
  m.set('tokenizer.ggml.add_bos_token', GGUFEntry.bool(tokenizer.parts.addBos));
  m.set('tokenizer.ggml.add_eos_token', GGUFEntry.bool(tokenizer.parts.addEos));
  if (tokenizer.parts.chatTemplate !== undefined) m.set('tokenizer.chat_template', GGUFEntry.str(tokenizer.parts.chatTemplate));
  return m;
}
