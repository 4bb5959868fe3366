import { readFileSync } from 'node:fs';
import { fail } from '../errors.js';
import { BpeModel } from './bpe.js';
import { byteLevelDecode, byteLevelEncode } from './byte-level.js';
import { endOfGenerationIds } from './end-of-generation.js';
import { patternSplitter, LLAMA3_PATTERN } from './pre-tokenizers.js';
import { TextTokenizer } from './text-tokenizer.js';
import { utf8Bytes } from './utf8.js';
import { TokenType, Vocab } from './vocab.js';

/** True when the file looks like tiktoken ranks ("<base64> <rank>" lines) rather than a SentencePiece model. */
export function isTiktokenFile(head: Uint8Array): boolean {
  const firstLine = Buffer.from(head).toString('latin1').split('\n', 1)[0] ?? '';
  return /^[A-Za-z0-9+/]+=* \d+\r?$/.test(firstLine);
}

/** Llama 3.1+'s 256 special tokens after its 128000 ranks (names from Meta's tokenizer.py). */
function llama3Specials(): string[] {
  const named = [
    '<|begin_of_text|>',
    '<|end_of_text|>',
    '<|reserved_special_token_0|>',
    '<|reserved_special_token_1|>',
    '<|finetune_right_pad_id|>',
    '<|step_id|>',
    '<|start_header_id|>',
    '<|end_header_id|>',
    '<|eom_id|>',
    '<|eot_id|>',
    '<|python_tag|>',
  ];
  for (let i = 2; named.length < 256; i++) named.push(`<|reserved_special_token_${i}|>`);
  return named;
}

/**
 * A tiktoken rank file (Llama 3's original tokenizer.model): each token's bytes with its rank. Tiktoken merges
 * the adjacent pair whose concatenation has the lowest rank, which is BPE with ranks as merge priorities; the
 * 128000-rank file gets Llama 3's pattern and special tokens.
 */
export function tokenizerFromTiktoken(path: string): TextTokenizer {
  const lines = readFileSync(path, 'latin1').split('\n');
  const texts: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([A-Za-z0-9+/]+=*) (\d+)\r?$/.exec(line);
    if (!m || Number(m[2]) !== texts.length) fail('BAD_FILE', `${path}: line ${i + 1} is not '<base64> ${texts.length}'`);
    texts.push(byteLevelEncode(Buffer.from(m[1]!, 'base64')));
  });
  if (texts.length !== 128000) fail('UNSUPPORTED', `${path}: ${texts.length} ranks; only Llama 3's 128000-rank tiktoken file is known (its special tokens and pattern)`);
  const specials = llama3Specials();
  const vocab = new Vocab(
    [...texts, ...specials],
    [...texts.map(() => TokenType.NORMAL), ...specials.map(() => TokenType.CONTROL)],
    undefined,
    path,
  );
  // A pair's priority is the rank of the token it forms (special tokens are never formed by merging).
  const bpe = new BpeModel(
    vocab,
    (l, r) => {
      const rank = vocab.id(l + r);
      return rank !== undefined && rank < texts.length ? rank : undefined;
    },
    { ignoreMerges: true, unknown: 'unk' },
  );
  const split = patternSplitter([LLAMA3_PATTERN], path);
  const bos = vocab.id('<|begin_of_text|>');
  const eos = vocab.id('<|end_of_text|>');
  return new TextTokenizer({
    kind: 'bpe',
    vocab,
    pieces: vocab.texts.map((t, id) => (vocab.type(id) === TokenType.NORMAL ? byteLevelDecode(t) : utf8Bytes(t))),
    bosId: bos,
    eosId: eos,
    addBos: true,
    addEos: false,
    eogIds: endOfGenerationIds((t) => vocab.id(t), [eos]),
    stripLeadingSpace: false,
    encodeText: (text, out) => {
      for (const word of split(text)) bpe.encodeWord(byteLevelEncode(utf8Bytes(word)), out);
    },
  });
}
