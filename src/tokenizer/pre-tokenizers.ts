import { fail } from '../errors.js';
import { compilePattern, splitIsolated } from './regex.js';

/** GPT-2's word pattern (the one in its tokenizer.json, trailing `\s+` included). */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/** Llama 3 (tiktoken cl100k-style): case-insensitive contractions, digits in groups of up to three. */
export const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** Qwen2: as Llama 3 but every digit alone. */
export const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const TEKKEN_PATTERN =
  '[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+';
const BLOOM_PATTERN = ' ?[^(\\s|.,!?…。，、।۔،)]+';
const CJK_RUN = '[一-龥ࠀ-一가-퟿]+';

/**
 * The pattern lists llama.cpp applies for each `tokenizer.ggml.pre`, one after the other, each splitting the
 * pieces the previous one left (the patterns come from each model's tokenizer.json).
 */
const PRE_PATTERNS: Record<string, readonly string[]> = {
  default: ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2_PATTERN, '\\p{N}+', '[0-9][0-9][0-9]'],
  'gpt-2': [GPT2_PATTERN],
  llama3: [LLAMA3_PATTERN],
  qwen2: [QWEN2_PATTERN],
  'deepseek-llm': [
    '[\r\n]',
    '\\s?[A-Za-z\\u{B5}\\u{C0}-\\u{D6}\\u{D8}-\\u{F6}\\u{F8}-\\u{1BA}\\u{1BC}-\\u{1BF}\\u{1C4}-\\u{293}\\u{295}-\\u{2AF}\\u{370}-\\u{373}\\u{376}\\u{377}\\u{37B}-\\u{37D}\\u{37F}\\u{386}\\u{388}-\\u{38A}\\u{38C}\\u{38E}-\\u{3A1}\\u{3A3}-\\u{3F5}\\u{3F7}-\\u{481}\\u{48A}-\\u{52F}\\u{531}-\\u{556}\\u{10A0}-\\u{10C5}\\u{13A0}-\\u{13F5}\\u{13F8}-\\u{13FD}\\u{1C90}-\\u{1CBA}\\u{1CBD}-\\u{1CBF}\\u{1D00}-\\u{1D2B}\\u{1D6B}-\\u{1D77}\\u{1D79}-\\u{1D9A}\\u{1E00}-\\u{1F15}\\u{1F18}-\\u{1F1D}\\u{1F20}-\\u{1F45}\\u{1F48}-\\u{1F4D}\\u{1F50}-\\u{1F57}\\u{1F59}\\u{1F5B}\\u{1F5D}\\u{1F5F}-\\u{1F7D}\\u{1F80}-\\u{1FB4}\\u{1FB6}-\\u{1FBC}\\u{1FBE}\\u{1FC2}-\\u{1FC4}\\u{1FC6}-\\u{1FCC}\\u{1FD0}-\\u{1FD3}\\u{1FD6}-\\u{1FDB}\\u{1FE0}-\\u{1FEC}\\u{1FF2}-\\u{1FF4}\\u{1FF6}-\\u{1FFC}\\u{2102}\\u{2107}\\u{210A}-\\u{2113}\\u{2115}\\u{2119}-\\u{211D}\\u{2124}\\u{2126}\\u{2128}\\u{212A}-\\u{212D}\\u{212F}-\\u{2134}\\u{2139}\\u{213C}-\\u{213F}\\u{2145}-\\u{2149}\\u{214E}\\u{2183}\\u{2184}\\u{2C00}-\\u{2C7B}\\u{2C7E}-\\u{2CE4}\\u{2CEB}-\\u{2CEE}\\u{2CF2}\\u{2CF3}\\u{A640}-\\u{A66D}\\u{A680}-\\u{A69B}\\u{A722}-\\u{A76F}\\u{A771}-\\u{A787}\\u{A78B}-\\u{A78E}\\u{AB70}-\\u{ABBF}\\u{FB00}-\\u{FB06}\\u{FB13}-\\u{FB17}\\u{FF21}-\\u{FF3A}\\u{FF41}-\\u{FF5A}\\u{10400}-\\u{1044F}\\u{104B0}-\\u{104D3}\\u{104D8}-\\u{104FB}\\u{10C80}-\\u{10CB2}\\u{10CC0}-\\u{10CF2}\\u{118A0}-\\u{118DF}\\u{1E900}-\\u{1E943}]+',
    '\\s?[!-/:-~！-／：-～‘-‟　-。]+',
    '\\s+$',
    CJK_RUN,
    '\\p{N}+',
  ],
  'deepseek-v3': [
    '\\p{N}{1,3}',
    '[一-龥぀-ゟ゠-ヿ]+',
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
  ],
  'deepseek-coder': ['[\r\n]', '\\s?\\p{L}+', '\\s?\\p{P}+', CJK_RUN, '\\p{N}'],
  falcon: ['[\\p{P}\\$\\+<=>\\^~\\|`]+', GPT2_PATTERN, '[0-9][0-9][0-9]'],
  starcoder: ['\\p{N}', GPT2_PATTERN],
  bloom: [BLOOM_PATTERN],
  viking: [BLOOM_PATTERN, '\\p{N}'],
  tekken: [TEKKEN_PATTERN],
  chameleon: [
    '<sentinel:[0-9]+>',
    '(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z',
    '([\\t\\n]|    |  )',
    '\\p{N}',
    '[\\p{P}!-/:-@\\[-`{-~]',
    GPT2_PATTERN,
  ],
};

/** `tokenizer.ggml.pre` names that share a pattern list (llama.cpp's grouping). */
const PRE_ALIASES: Record<string, string> = {
  'llama-v3': 'llama3',
  'llama-bpe': 'llama3',
  falcon3: 'llama3',
  dbrx: 'llama3',
  'smaug-bpe': 'llama3',
  'chatglm-bpe': 'llama3',
  'deepseek-r1-qwen': 'qwen2',
  stablelm2: 'qwen2',
  megrez: 'qwen2',
  refact: 'starcoder',
  'command-r': 'starcoder',
  smollm: 'starcoder',
  codeshell: 'starcoder',
  exaone: 'starcoder',
  'minerva-7b': 'starcoder',
  mpt: 'gpt-2',
  olmo: 'gpt-2',
  jais: 'gpt-2',
  'phi-2': 'gpt-2',
  'roberta-bpe': 'gpt-2',
  'jina-es': 'gpt-2',
  'jina-de': 'gpt-2',
  'jina-v1-en': 'gpt-2',
  'jina-v2-es': 'gpt-2',
  'jina-v2-de': 'gpt-2',
  'jina-v2-code': 'gpt-2',
  gigachat: 'gpt-2',
  'poro-chat': 'bloom',
  'gpt3-finnish': 'bloom',
};

/** Splits text into the words BPE merges within. */
export type WordSplitter = (text: string) => string[];

/** A splitter applying `patterns` in order, each isolating its matches inside the previous pieces. */
export function patternSplitter(patterns: readonly string[], where: string): WordSplitter {
  const compiled = patterns.map((p) => compilePattern(p, where));
  return (text) => compiled.reduce<string[]>((chunks, re) => splitIsolated(chunks, re), [text]);
}

/** Every `tokenizer.ggml.pre` value understood. */
export function knownPreTokenizers(): string[] {
  return [...Object.keys(PRE_PATTERNS), ...Object.keys(PRE_ALIASES)].sort();
}

/** The splitter for a GGUF `tokenizer.ggml.pre` value; an unknown name is an UNSUPPORTED error. */
export function ggufPreTokenizer(pre: string, where: string): WordSplitter {
  const name = PRE_ALIASES[pre] ?? pre;
  const patterns = PRE_PATTERNS[name];
  if (patterns === undefined) {
    fail('UNSUPPORTED', `${where}: unknown pre-tokenizer tokenizer.ggml.pre = '${pre}' (known: ${knownPreTokenizers().join(', ')})`);
  }
  return patternSplitter(patterns, where);
}
