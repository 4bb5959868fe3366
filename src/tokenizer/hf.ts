import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail, systemErrorText } from '../errors.js';
import { BpeModel, mergeKey, mergeLineKey, mergeRanks } from './bpe.js';
import { byteLevelDecode, byteLevelEncode } from './byte-level.js';
import { endOfGenerationIds } from './end-of-generation.js';
import { hfNormalizer, type Normalizer } from './hf-normalizers.js';
import { hfPreTokenizer, type PreTokenizer } from './hf-pre-tokenizers.js';
import { JsonFields } from './json-fields.js';
import { GPT2_PATTERN, patternSplitter, QWEN2_PATTERN } from './pre-tokenizers.js';
import { SPACE_MARK } from './spm.js';
import { TextTokenizer } from './text-tokenizer.js';
import { Unigram } from './unigram.js';
import { utf8Bytes } from './utf8.js';
import { TokenType, Vocab } from './vocab.js';
import { cleanUpTokenization, wordPiece, wordPieceText } from './wordpiece.js';

function readJson(path: string): JsonFields {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return fail('MISSING', `cannot read ${path}: ${systemErrorText(e)}`);
  }
  try {
    return new JsonFields(path, '$', JSON.parse(text));
  } catch (e) {
    return fail('BAD_FILE', `${path}: not valid JSON (${(e as Error).message})`);
  }
}

interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
  /** Matched in normalized text (Hugging Face's default for non-special added tokens). */
  readonly normalized: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
}

function addedToken(t: JsonFields, id: number): AddedToken {
  const special = t.opt('special')?.boolean() ?? false;
  return {
    id,
    content: t.get('content').string(),
    special,
    normalized: t.opt('normalized')?.boolean() ?? !special,
    lstrip: t.opt('lstrip')?.boolean() ?? false,
    rstrip: t.opt('rstrip')?.boolean() ?? false,
  };
}

/** tokenizer_config.json: special token names, BOS/EOS flags and the chat template. */
interface TokenizerConfig {
  readonly bosToken?: string;
  readonly eosToken?: string;
  readonly addBos?: boolean;
  readonly addEos?: boolean;
  readonly chatTemplate?: string;
  readonly tokenizerClass?: string;
  readonly addedTokens: AddedToken[];
}

function tokenName(f: JsonFields | undefined): string | undefined {
  if (f === undefined) return undefined;
  return typeof f.value === 'string' ? f.string() : f.get('content').string();
}

function readConfig(path: string | undefined): TokenizerConfig {
  if (path === undefined) return { addedTokens: [] };
  const c = readJson(path);
  c.object();
  const template = c.opt('chat_template');
  let chatTemplate: string | undefined;
  if (template !== undefined) {
    if (typeof template.value === 'string') chatTemplate = template.string();
    else {
      // A list of named templates: the one named "default" is what apply_chat_template uses.
      const named = template.items().map((t) => [t.get('name').string(), t.get('template').string()] as const);
      chatTemplate = (named.find(([n]) => n === 'default') ?? named[0])?.[1];
    }
  }
  return {
    bosToken: tokenName(c.opt('bos_token')),
    eosToken: tokenName(c.opt('eos_token')),
    addBos: c.opt('add_bos_token')?.boolean(),
    addEos: c.opt('add_eos_token')?.boolean(),
    chatTemplate,
    tokenizerClass: c.opt('tokenizer_class')?.string(),
    addedTokens: (c.opt('added_tokens_decoder')?.entries() ?? []).map(([id, t]) => addedToken(t, Number(id))),
  };
}

/** Model tokens and added tokens laid out by id; ids nobody claims become unused placeholders. */
function buildVocab(
  where: string,
  model: ReadonlyMap<string, number>,
  added: readonly AddedToken[],
  typeOf: (text: string) => TokenType,
  scores?: ReadonlyMap<number, number>,
): Vocab {
  let size = 0;
  for (const id of model.values()) size = Math.max(size, id + 1);
  for (const t of added) size = Math.max(size, t.id + 1);
  // Ids are dense in real files; a stray huge id must not make us allocate its whole range.
  const limit = 2 * (model.size + added.length) + 1024;
  if (size > limit) fail('BAD_FILE', `${where}: token id ${size - 1} is far beyond the ${model.size + added.length} tokens defined`);
  const texts: string[] = new Array<string>(size).fill('');
  const types: TokenType[] = new Array<TokenType>(size).fill(TokenType.UNUSED);
  for (const [text, id] of model) {
    if (!Number.isInteger(id) || id < 0) fail('BAD_FILE', `${where}: token ${JSON.stringify(text)} has invalid id ${id}`);
    texts[id] = text;
    types[id] = typeOf(text);
  }
  for (const t of added) {
    texts[t.id] = t.content;
    types[t.id] = t.special ? TokenType.CONTROL : TokenType.USER_DEFINED;
  }
  texts.forEach((t, i) => {
    if (t === '') texts[i] = `[UNUSED_${i}]`;
  });
  const scoreArray = scores ? Float32Array.from(texts, (_, i) => scores.get(i) ?? 0) : undefined;
  const vocab = new Vocab(texts, types, scoreArray, where);
  for (const t of added) {
    if (t.lstrip || t.rstrip) vocab.strip.set(t.id, { lstrip: t.lstrip, rstrip: t.rstrip });
    if (t.normalized) vocab.matchedAfterNormalization.add(t.id);
  }
  return vocab;
}

const BYTE_TOKEN = /^<0x[0-9A-Fa-f]{2}>$/;

/** How token texts turn back into bytes, read off the decoder chain. */
interface DecoderShape {
  byteLevel: boolean;
  spaceMark: boolean;
  byteFallback: boolean;
  stripLeadingSpace: boolean;
  wordPiecePrefix?: string;
  cleanUp: boolean;
}

function decoderShape(d: JsonFields | undefined, shape: DecoderShape = { byteLevel: false, spaceMark: false, byteFallback: false, stripLeadingSpace: false, cleanUp: false }): DecoderShape {
  if (d === undefined) return shape;
  switch (d.type()) {
    case 'Sequence':
      for (const step of d.get('decoders').items()) decoderShape(step, shape);
      break;
    case 'ByteLevel':
      shape.byteLevel = true;
      break;
    case 'Metaspace': {
      shape.spaceMark = true;
      const scheme = d.opt('prepend_scheme')?.string() ?? ((d.opt('add_prefix_space')?.boolean() ?? true) ? 'always' : 'never');
      if (scheme !== 'never') shape.stripLeadingSpace = true;
      break;
    }
    case 'Replace':
      if (d.get('pattern').opt('String')?.string() !== SPACE_MARK || d.get('content').string() !== ' ') {
        fail('UNSUPPORTED', `${d.file}: ${d.path}: only the Replace decoder from U+2581 to a space is supported`);
      }
      shape.spaceMark = true;
      break;
    case 'ByteFallback':
      shape.byteFallback = true;
      break;
    case 'Strip': {
      const start = d.opt('start')?.number() ?? 0;
      if (d.get('content').string() !== ' ' || start > 1 || (d.opt('stop')?.number() ?? 0) > 0) {
        fail('UNSUPPORTED', `${d.file}: ${d.path}: only a Strip decoder of one leading space is supported`);
      }
      if (start === 1) shape.stripLeadingSpace = true;
      break;
    }
    case 'WordPiece':
      shape.wordPiecePrefix = d.opt('prefix')?.string() ?? '##';
      shape.stripLeadingSpace = true;
      shape.cleanUp = d.opt('cleanup')?.boolean() ?? true;
      break;
    case 'Fuse':
      break;
    default:
      fail('UNSUPPORTED', `${d.file}: ${d.path}: decoder type '${d.type()}' is not supported`);
  }
  return shape;
}

function piecesFor(vocab: Vocab, shape: DecoderShape): Uint8Array[] {
  return vocab.texts.map((text, id) => {
    const type = vocab.type(id);
    if (type === TokenType.UNUSED) return new Uint8Array(0);
    if (shape.wordPiecePrefix !== undefined) return utf8Bytes(wordPieceText(text, type === TokenType.NORMAL ? shape.wordPiecePrefix : undefined));
    if (type !== TokenType.NORMAL && type !== TokenType.BYTE) return utf8Bytes(text);
    if (type === TokenType.BYTE && shape.byteFallback) return Uint8Array.of(parseInt(text.slice(3, 5), 16));
    if (shape.byteLevel) return byteLevelDecode(text);
    return utf8Bytes(shape.spaceMark ? text.replaceAll(SPACE_MARK, ' ') : text);
  });
}

/** BOS/EOS as the post-processor adds them: ids before and after the text. */
interface Around {
  prefix: number[];
  suffix: number[];
}

function postProcessor(p: JsonFields | undefined, idOf: (text: string) => number | undefined): Around | undefined {
  if (p === undefined) return undefined;
  const type = p.type();
  const named = (pair: JsonFields): number => {
    const [text, id] = pair.items();
    return id?.number() ?? idOf(text!.string()) ?? fail('BAD_FILE', `${p.file}: ${pair.path}: unknown token`);
  };
  switch (type) {
    case 'TemplateProcessing': {
      const specials = new Map<string, number[]>();
      for (const [name, s] of p.opt('special_tokens')?.entries() ?? []) specials.set(name, s.get('ids').items().map((i) => i.number()));
      const around: Around = { prefix: [], suffix: [] };
      let seenSequence = false;
      for (const piece of p.get('single').items()) {
        if (piece.has('Sequence')) {
          seenSequence = true;
          continue;
        }
        const name = piece.get('SpecialToken').get('id').string();
        const ids = specials.get(name) ?? fail('BAD_FILE', `${p.file}: ${piece.path}: special token '${name}' is not in special_tokens`);
        (seenSequence ? around.suffix : around.prefix).push(...ids);
      }
      return around;
    }
    case 'RobertaProcessing':
    case 'BertProcessing':
      return { prefix: [named(p.get('cls'))], suffix: [named(p.get('sep'))] };
    case 'ByteLevel':
      return undefined;
    case 'Sequence': {
      const parts = p.get('processors').items().map((x) => postProcessor(x, idOf)).filter((x): x is Around => x !== undefined);
      return parts[parts.length - 1];
    }
    default:
      return fail('UNSUPPORTED', `${p.file}: ${p.path}: post-processor type '${type}' is not supported`);
  }
}

/** Turns one pre-tokenized word into ids. */
type WordEncoder = (word: string, out: number[]) => void;

interface ModelParts {
  readonly vocab: Vocab;
  readonly encodeWord: WordEncoder;
  readonly kind: 'bpe' | 'wordpiece' | 'unigram';
}

/** Merge keys from 'left right' strings (older files) or [left, right] pairs, in rank order. */
function parseMerges(m: JsonFields): string[] {
  return m.rawItems().map((item, rank) => {
    let key: string | undefined;
    if (typeof item === 'string') key = mergeLineKey(item);
    else if (Array.isArray(item) && item.length === 2 && typeof item[0] === 'string' && typeof item[1] === 'string') key = mergeKey(item[0], item[1]);
    return key ?? fail('BAD_FILE', `${m.file}: ${m.path}[${rank}] must be a 'left right' string or a [left, right] pair`);
  });
}

function modelParts(m: JsonFields, added: readonly AddedToken[]): ModelParts {
  const where = m.file;
  const type = m.opt('type')?.string() ?? (m.has('merges') ? 'BPE' : Array.isArray(m.get('vocab').value) ? 'Unigram' : 'WordPiece');
  switch (type) {
    case 'BPE': {
      const byteFallback = m.opt('byte_fallback')?.boolean() ?? false;
      for (const k of ['continuing_subword_prefix', 'end_of_word_suffix']) {
        const v = m.opt(k)?.string();
        if (v) fail('UNSUPPORTED', `${where}: model.${k} '${v}' is not supported`);
      }
      const ids = m.get('vocab').numberMap();
      const vocab = buildVocab(where, ids, added, (t) => (byteFallback && BYTE_TOKEN.test(t) ? TokenType.BYTE : TokenType.NORMAL));
      const unk = m.opt('unk_token')?.string();
      const unkId = unk === undefined ? undefined : vocab.id(unk);
      const bpe = new BpeModel(vocab, mergeRanks(parseMerges(m.get('merges'))), {
        ignoreMerges: m.opt('ignore_merges')?.boolean() ?? false,
        unknown: byteFallback ? 'bytes' : 'unk',
        unkId,
        fuseUnk: m.opt('fuse_unk')?.boolean() ?? false,
      });
      return { vocab, kind: 'bpe', encodeWord: (w, out) => bpe.encodeWord(w, out) };
    }
    case 'WordPiece': {
      const ids = m.get('vocab').numberMap();
      const vocab = buildVocab(where, ids, added, () => TokenType.NORMAL);
      const prefix = m.opt('continuing_subword_prefix')?.string() ?? '##';
      const unk = m.opt('unk_token')?.string() ?? '[UNK]';
      const unkId = vocab.id(unk) ?? fail('BAD_FILE', `${where}: model.unk_token '${unk}' is not in the vocabulary`);
      const maxChars = m.opt('max_input_chars_per_word')?.number() ?? 100;
      const lookup = (piece: string, first: boolean) => vocab.id(first ? piece : prefix + piece);
      return { vocab, kind: 'wordpiece', encodeWord: (w, out) => wordPiece(w, lookup, unkId, maxChars, out) };
    }
    case 'Unigram': {
      const ids = new Map<string, number>();
      const scores = new Map<number, number>();
      m.get('vocab').items().forEach((entry, id) => {
        const [piece, score] = entry.items();
        if (piece === undefined || score === undefined) fail('BAD_FILE', `${where}: ${entry.path} must be [piece, score]`);
        ids.set(piece.string(), id);
        scores.set(id, score.number());
      });
      const byteFallback = m.opt('byte_fallback')?.boolean() ?? false;
      const vocab = buildVocab(where, ids, added, (t) => (byteFallback && BYTE_TOKEN.test(t) ? TokenType.BYTE : TokenType.NORMAL), scores);
      const unkId = m.opt('unk_id')?.number() ?? fail('BAD_FILE', `${where}: model.unk_id is missing`);
      const unigram = new Unigram(vocab, unkId, byteFallback);
      return { vocab, kind: 'unigram', encodeWord: (w, out) => unigram.encode(w, out) };
    }
    default:
      return fail('UNSUPPORTED', `${where}: model type '${type}' is not supported (BPE, WordPiece, Unigram)`);
  }
}

interface Pipeline {
  readonly model: ModelParts;
  readonly normalizer?: Normalizer;
  readonly preTokenizer?: PreTokenizer;
  readonly decoder: DecoderShape;
  readonly around?: Around;
}

function assemble(p: Pipeline, config: TokenizerConfig): TextTokenizer {
  const { vocab } = p.model;
  const idOf = (name: string | undefined) => (name === undefined ? undefined : vocab.id(name));
  const bosId = idOf(config.bosToken) ?? (p.around?.prefix.length === 1 ? p.around.prefix[0] : undefined);
  const eosId = idOf(config.eosToken) ?? (p.around?.suffix.length === 1 ? p.around.suffix[0] : undefined);
  // The post-processor decides what add_special_tokens adds; without one, tokenizer_config's flags do.
  const prefix = p.around?.prefix ?? (config.addBos && bosId !== undefined ? [bosId] : []);
  const suffix = p.around?.suffix ?? (config.addEos && eosId !== undefined ? [eosId] : []);
  const { normalizer, preTokenizer, model } = p;
  return new TextTokenizer({
    kind: model.kind,
    vocab,
    pieces: piecesFor(vocab, p.decoder),
    bosId,
    eosId,
    addBos: prefix.length > 0,
    addEos: suffix.length > 0,
    // What an explicit addBos/addEos adds when the defaults add nothing.
    prefix: prefix.length > 0 ? prefix : bosId !== undefined ? [bosId] : undefined,
    suffix: suffix.length > 0 ? suffix : eosId !== undefined ? [eosId] : undefined,
    eogIds: endOfGenerationIds((t) => vocab.id(t), [eosId]),
    stripLeadingSpace: p.decoder.stripLeadingSpace,
    cleanUp: p.decoder.cleanUp ? cleanUpTokenization : undefined,
    chatTemplate: config.chatTemplate,
    normalize: normalizer ?? ((t) => t),
    encodeText: (text, out, at) => {
      const words = preTokenizer ? preTokenizer([text], at) : [text];
      for (const w of words) if (w.length > 0) model.encodeWord(w, out);
    },
  });
}

/**
 * A Hugging Face tokenizer.json (with its tokenizer_config.json when given), or the vocab.json + merges.txt
 * pair of GPT-2-style slow tokenizers when `tokenizerJsonPath` names a vocab.json.
 */
export function tokenizerFromHF(tokenizerJsonPath: string, tokenizerConfigPath?: string): TextTokenizer {
  const config = readConfig(tokenizerConfigPath);
  if (tokenizerJsonPath.endsWith('vocab.json')) return fromVocabAndMerges(tokenizerJsonPath, config);
  const root = readJson(tokenizerJsonPath);
  root.object();
  const added = [...(root.opt('added_tokens')?.items() ?? []).map((t) => addedToken(t, t.get('id').number())), ...config.addedTokens];
  const model = modelParts(root.get('model'), added);
  const normalizer = root.opt('normalizer');
  const preTokenizer = root.opt('pre_tokenizer');
  return assemble(
    {
      model,
      normalizer: normalizer && hfNormalizer(normalizer),
      preTokenizer: preTokenizer && hfPreTokenizer(preTokenizer),
      decoder: decoderShape(root.opt('decoder')),
      around: postProcessor(root.opt('post_processor'), (t) => model.vocab.id(t)),
    },
    config,
  );
}

/** Slow-tokenizer files: vocab.json + merges.txt, byte-level BPE with the word pattern of the tokenizer class. */
function fromVocabAndMerges(vocabPath: string, config: TokenizerConfig): TextTokenizer {
  const mergesPath = join(vocabPath, '..', 'merges.txt');
  if (!existsSync(mergesPath)) fail('MISSING', `${mergesPath} is missing (needed beside ${vocabPath})`);
  const ids = readJson(vocabPath).numberMap();
  const merges = readFileSync(mergesPath, 'utf8')
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('#version') && line.length > 0)
    .map((line) => mergeLineKey(line) ?? fail('BAD_FILE', `${mergesPath}: line '${line.slice(0, 40)}' is not a 'left right' merge`));
  const vocab = buildVocab(vocabPath, ids, config.addedTokens, () => TokenType.NORMAL);
  const bpe = new BpeModel(vocab, mergeRanks(merges), { ignoreMerges: false, unknown: 'unk' });
  const qwen = config.tokenizerClass?.startsWith('Qwen2') ?? false;
  const split = patternSplitter([qwen ? QWEN2_PATTERN : GPT2_PATTERN], vocabPath);
  return assemble(
    {
      model: { vocab, kind: 'bpe', encodeWord: (w, out) => bpe.encodeWord(w, out) },
      // Qwen2's tokenizer NFC-normalizes its input.
      normalizer: qwen ? (t) => t.normalize('NFC') : undefined,
      preTokenizer: (words) => words.flatMap(split).map((w) => byteLevelEncode(utf8Bytes(w))),
      decoder: { byteLevel: true, spaceMark: false, byteFallback: false, stripLeadingSpace: false, cleanUp: false },
    },
    config,
  );
}

/** A Hugging Face folder: tokenizer.json, else vocab.json + merges.txt; tokenizer_config.json when present. */
export function tokenizerFromHFFolder(dir: string): TextTokenizer {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail('MISSING', `${dir} is not a folder`);
  const config = join(dir, 'tokenizer_config.json');
  const configPath = existsSync(config) ? config : undefined;
  for (const name of ['tokenizer.json', 'vocab.json']) {
    const p = join(dir, name);
    if (existsSync(p)) return tokenizerFromHF(p, configPath);
  }
  return fail('MISSING', `${dir}: no tokenizer.json (or vocab.json + merges.txt) in this folder`);
}
