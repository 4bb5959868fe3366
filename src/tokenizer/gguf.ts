import { fail } from '../errors.js';
import type { GGUFFile } from '../gguf/reader.js';
import type { GGUFValue } from '../gguf/types.js';
import { BpeModel, mergeLineKey, mergeRanks } from './bpe.js';
import { byteLevelDecode, byteLevelEncode } from './byte-level.js';
import { endOfGenerationIds, EOG_TEXTS, FIM_EOG_TEXTS } from './end-of-generation.js';
import { ggufPreTokenizer } from './pre-tokenizers.js';
import { SentencePieceBpe, SPACE_MARK, spacedPieces } from './spm.js';
import { TextTokenizer, type TokenizerParts } from './text-tokenizer.js';
import { bertWords, cleanUpTokenization, MAX_WORD_CHARS, wordPiece, wordPieceText } from './wordpiece.js';
import { Unigram } from './unigram.js';
import { utf8Bytes } from './utf8.js';
import { TokenType, Vocab } from './vocab.js';

const KEY = 'tokenizer.ggml.';

/** Control-looking tokens llama.cpp forces to control besides the end-of-generation ones. */
const CONTROL_TEXTS = ['<｜end▁of▁sentence｜>', '<|fim_prefix|>', '<fim-prefix>', '<｜fim▁begin｜>', '<PRE>', '<|fim_suffix|>', '<fim-suffix>', '<｜fim▁hole｜>', '<SUF>', '<|fim_middle|>', '<fim-middle>', '<｜fim▁end｜>', '<MID>'];

/** The tokenizer.ggml.* keys through the file's typed metadata getters, which refuse wrongly typed values by key. */
class Metadata {
  constructor(private readonly file: GGUFFile) {}

  array(name: string): GGUFValue[] | undefined {
    return this.file.getArray(KEY + name)?.items;
  }

  strings(name: string): string[] | undefined {
    return this.file.getStringArray(KEY + name);
  }

  numbers(name: string): number[] | undefined {
    return this.file.getNumberArray(KEY + name);
  }

  string(name: string): string | undefined {
    return this.file.getString(KEY + name);
  }

  bool(name: string): boolean | undefined {
    return this.file.getBool(KEY + name);
  }

  /** A token id; out-of-range ids are ignored, as llama.cpp does (it warns and keeps its default). */
  id(name: string, nTokens: number): number | undefined {
    const v = this.file.get(KEY + name);
    const n = typeof v === 'bigint' ? Number(v) : v;
    return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < nTokens ? n : undefined;
  }
}

/** The four tokenizer families GGUF names in tokenizer.ggml.model, with llama.cpp's default special ids. */
const MODEL_DEFAULTS = {
  llama: { bos: 1, eos: 2, unk: 0, sep: undefined, addBos: true, addEos: false },
  gpt2: { bos: 11, eos: 11, unk: undefined, sep: undefined, addBos: false, addEos: false },
  bert: { bos: 101, eos: undefined, unk: 100, sep: 102, addBos: true, addEos: false },
  t5: { bos: undefined, eos: 1, unk: 2, sep: undefined, addBos: false, addEos: true },
} as const;

type ModelName = keyof typeof MODEL_DEFAULTS;

/** Pre-tokenizers after which llama.cpp adds BOS by default even for gpt2-type vocabularies. */
const PRE_ADDS_BOS = new Set(['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'tekken', 'chameleon']);
const PRE_IGNORES_MERGES = new Set(['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'tekken']);

export interface GGUFTokenizerOptions {
  /**
   * Pre-tokenizer to use instead of tokenizer.ggml.pre: for old files converted before llama.cpp recorded it,
   * which otherwise get its 'default' pattern list.
   */
  readonly pre?: string;
}

/**
 * Builds the tokenizer a GGUF file describes in its tokenizer.ggml.* metadata, behaving as llama.cpp's
 * llama_vocab does for the same file.
 */
export function tokenizerFromGGUF(file: GGUFFile, options: GGUFTokenizerOptions = {}): TextTokenizer {
  const md = new Metadata(file);
  const where = file.path;
  const model = md.string('model');
  if (model === undefined) fail('MISSING', `${where}: no tokenizer: metadata key ${KEY}model is missing (a vocabulary-less GGUF needs a tokenizer.json beside it)`);
  if (!(model in MODEL_DEFAULTS)) {
    fail('UNSUPPORTED', `${where}: unknown tokenizer ${KEY}model = '${model}' (supported: ${Object.keys(MODEL_DEFAULTS).join(', ')})`);
  }
  const name = model as ModelName;
  const texts = md.strings('tokens');
  if (texts === undefined) fail('MISSING', `${where}: metadata key ${KEY}tokens is missing`);
  const nTokens = texts.length;
  // llama.cpp renames empty tokens so that each text maps to one id.
  const named = texts.map((t, i) => (t.length === 0 ? `[EMPTY_${i}]` : t));
  const scoreList = md.numbers('scores');
  const typeList = md.numbers('token_type');
  const types: TokenType[] = typeList?.map((t) => (t >= 0 && t <= 6 ? (t as TokenType) : TokenType.UNDEFINED)) ?? new Array<TokenType>(nTokens).fill(TokenType.NORMAL);
  forceControl(named, types);
  const vocab = new Vocab(named, types, scoreList ? Float32Array.from(scoreList) : undefined, where);

  const defaults = MODEL_DEFAULTS[name];
  const pre = options.pre ?? md.string('pre');
  const bosId = md.id('bos_token_id', nTokens) ?? checkDefault(defaults.bos, nTokens);
  const eosId = md.id('eos_token_id', nTokens) ?? checkDefault(defaults.eos, nTokens);
  const unkId = md.id('unknown_token_id', nTokens) ?? checkDefault(defaults.unk, nTokens);
  const sepId = md.id('separator_token_id', nTokens) ?? checkDefault(defaults.sep, nTokens);
  const addBos = md.bool('add_bos_token') ?? (defaults.addBos || (name === 'gpt2' && pre !== undefined && PRE_ADDS_BOS.has(pre)));
  const addEos = md.bool('add_eos_token') ?? defaults.addEos;
  const addSpacePrefix = md.bool('add_space_prefix') ?? (name === 'llama' || name === 't5');

  if (/phi-?3/i.test(String(file.get('general.name') ?? ''))) phi3Strip(vocab);

  const eogIds = endOfGenerationIds((t) => vocab.id(t), [eosId, md.id('eot_token_id', nTokens), md.id('eom_token_id', nTokens)]);

  const common = { vocab, bosId, eosId, addBos, addEos, eogIds, chatTemplate: chatTemplateOf(file) };
  let parts: TokenizerParts;
  switch (name) {
    case 'llama': {
      const spm = new SentencePieceBpe(vocab, unkId);
      parts = {
        ...common,
        kind: 'spm',
        pieces: spacedPieces(vocab),
        stripLeadingSpace: addSpacePrefix,
        encodeText: (text, out, at) => spm.encode(addSpacePrefix && at.first ? ` ${text}` : text, out),
      };
      break;
    }
    case 'gpt2': {
      const merges = md.strings('merges');
      if (merges === undefined) fail('MISSING', `${where}: metadata key ${KEY}merges is missing (required by gpt2 tokenizers)`);
      // A merge without a separating space can never apply (llama.cpp stores it as an empty pair).
      const ranks = mergeRanks(merges.map(mergeLineKey));
      const split = ggufPreTokenizer(pre ?? 'default', where);
      const bpe = new BpeModel(vocab, ranks, { ignoreMerges: pre !== undefined && PRE_IGNORES_MERGES.has(pre), unknown: 'chars' });
      parts = {
        ...common,
        kind: 'bpe',
        pieces: byteLevelPieces(vocab),
        stripLeadingSpace: false,
        encodeText: (text, out) => {
          for (const word of split(text)) bpe.encodeWord(byteLevelEncode(utf8Bytes(word)), out);
        },
      };
      break;
    }
    case 'bert': {
      if (unkId === undefined) fail('MISSING', `${where}: bert tokenizer needs ${KEY}unknown_token_id`);
      const lookup = (piece: string, first: boolean) => vocab.id(first ? SPACE_MARK + piece : piece);
      parts = {
        ...common,
        kind: 'wordpiece',
        addEos: common.addBos,
        prefix: bosId === undefined ? undefined : [bosId],
        suffix: sepId === undefined ? undefined : [sepId],
        pieces: wordStartPieces(vocab),
        stripLeadingSpace: true,
        cleanUp: cleanUpTokenization,
        encodeText: (text, out) => {
          for (const word of bertWords(text, { lowercase: true, stripAccents: true })) wordPiece(word, lookup, unkId, MAX_WORD_CHARS, out);
        },
      };
      break;
    }
    case 't5': {
      if (unkId === undefined) fail('MISSING', `${where}: t5 tokenizer needs ${KEY}unknown_token_id`);
      if (md.array('precompiled_charsmap')?.length) {
        fail('UNSUPPORTED', `${where}: ${KEY}precompiled_charsmap (SentencePiece normalization table) is not supported yet`);
      }
      const unigram = new Unigram(vocab, unkId);
      const mergeSpaces = md.bool('remove_extra_whitespaces') ?? false;
      parts = {
        ...common,
        kind: 'unigram',
        pieces: spacedPieces(vocab),
        stripLeadingSpace: addSpacePrefix,
        encodeText: (text, out) => {
          let t = mergeSpaces ? text.replace(/ +/g, ' ').trim() : text;
          if (addSpacePrefix) t = ` ${t}`;
          unigram.encode(t.replaceAll(' ', SPACE_MARK), out);
        },
      };
      break;
    }
  }
  return new TextTokenizer(parts);
}

function chatTemplateOf(file: GGUFFile): string | undefined {
  const t = file.get('tokenizer.chat_template');
  return typeof t === 'string' ? t : undefined;
}

function checkDefault(id: number | undefined, nTokens: number): number | undefined {
  return id !== undefined && id < nTokens ? id : undefined;
}

/** llama.cpp marks end-of-generation and fill-in-the-middle tokens as control whatever the file says. */
function forceControl(texts: readonly string[], types: TokenType[]): void {
  const forced = new Set([...EOG_TEXTS, ...FIM_EOG_TEXTS, ...CONTROL_TEXTS]);
  texts.forEach((t, i) => {
    if (forced.has(t)) types[i] = TokenType.CONTROL;
  });
}

/**
 * llama.cpp's per-model fix for Phi-3, whose GGUF lacks token attributes: special tokens eat the whitespace
 * after them, except <unk>, <s> and <|endoftext|>.
 */
function phi3Strip(vocab: Vocab): void {
  for (let id = 0; id < vocab.size; id++) {
    const t = vocab.type(id);
    const special = t === TokenType.CONTROL || t === TokenType.USER_DEFINED || t === TokenType.UNKNOWN || vocab.texts[id] === '</s>';
    if (special && !['<unk>', '<s>', '<|endoftext|>'].includes(vocab.texts[id]!)) vocab.strip.set(id, { lstrip: false, rstrip: true });
  }
}

/**
 * Decoded bytes for GGUF WordPiece vocabularies, whose word starts carry U+2581 (continuations carry nothing):
 * as Hugging Face's WordPiece decoder renders them, a space before each word and each special token.
 */
function wordStartPieces(vocab: Vocab): Uint8Array[] {
  return vocab.texts.map((t, id) => {
    const type = vocab.type(id);
    if (type === TokenType.UNUSED) return new Uint8Array(0);
    if (t.startsWith(SPACE_MARK)) return utf8Bytes(` ${t.slice(SPACE_MARK.length)}`);
    return utf8Bytes(wordPieceText(t, type === TokenType.NORMAL ? '' : undefined));
  });
}

/** Decoded bytes for byte-level BPE vocabularies. */
function byteLevelPieces(vocab: Vocab): Uint8Array[] {
  return vocab.texts.map((text, id) => {
    switch (vocab.type(id)) {
      case TokenType.NORMAL:
        return byteLevelDecode(text);
      case TokenType.CONTROL:
      case TokenType.UNKNOWN:
      case TokenType.USER_DEFINED:
        return utf8Bytes(text);
      default:
        return new Uint8Array(0);
    }
  });
}
