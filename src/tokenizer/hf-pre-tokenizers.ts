import { fail } from '../errors.js';
import { byteLevelEncode } from './byte-level.js';
import { hfPattern } from './hf-normalizers.js';
import type { JsonFields } from './json-fields.js';
import { GPT2_PATTERN } from './pre-tokenizers.js';
import { compilePattern, splitIsolated } from './regex.js';
import { SPACE_MARK } from './spm.js';
import type { TextPosition } from './text-tokenizer.js';
import { utf8Bytes } from './utf8.js';
import { bertSplit } from './wordpiece.js';

/** A Hugging Face pre-tokenizer: splits (and may rewrite) the words of one stretch of text. */
export type PreTokenizer = (words: string[], at: TextPosition) => string[];

type Behavior = 'Isolated' | 'Removed' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/** Splits each word at the matches of `re`, treating each match as `behavior` says. */
function splitBy(words: readonly string[], re: RegExp, behavior: Behavior, invert: boolean): string[] {
  const out: string[] = [];
  for (const word of words) {
    // Pieces with a flag: true for a match (of the inverted sense when invert).
    const pieces: [string, boolean][] = [];
    let last = 0;
    for (const m of word.matchAll(re)) {
      if (m[0].length === 0) continue;
      if (m.index > last) pieces.push([word.slice(last, m.index), invert]);
      pieces.push([m[0], !invert]);
      last = m.index + m[0].length;
    }
    if (last < word.length) pieces.push([word.slice(last), invert]);
    switch (behavior) {
      case 'Isolated':
        for (const [p] of pieces) out.push(p);
        break;
      case 'Removed':
        for (const [p, isDelim] of pieces) if (!isDelim) out.push(p);
        break;
      case 'MergedWithPrevious': {
        const merged: string[] = [];
        let prevDelim = false;
        for (const [p, isDelim] of pieces) {
          if (isDelim && merged.length > 0 && !prevDelim) merged[merged.length - 1] += p;
          else merged.push(p);
          prevDelim = isDelim;
        }
        out.push(...merged);
        break;
      }
      case 'MergedWithNext': {
        // A delimiter joins the piece after it; a run of delimiters leaves all but the last alone.
        const merged: string[] = [];
        let pending = '';
        for (const [p, isDelim] of pieces) {
          if (isDelim) {
            if (pending) merged.push(pending);
            pending = p;
          } else {
            merged.push(pending + p);
            pending = '';
          }
        }
        if (pending) merged.push(pending);
        out.push(...merged);
        break;
      }
      case 'Contiguous': {
        const merged: string[] = [];
        let prev: boolean | undefined;
        for (const [p, isDelim] of pieces) {
          if (isDelim && prev === true) merged[merged.length - 1] += p;
          else merged.push(p);
          prev = isDelim;
        }
        out.push(...merged);
        break;
      }
    }
  }
  return out;
}

const GPT2_RE = compilePattern(GPT2_PATTERN, 'ByteLevel pre-tokenizer');
const WHITESPACE_RE = compilePattern('\\w+|[^\\w\\s]+', 'Whitespace pre-tokenizer');
const PUNCT_RE = /[\p{P}!-/:-@[-`{-~]/gu;

function behaviorOf(p: JsonFields, fallback: Behavior): Behavior {
  const b = p.opt('behavior')?.string() ?? fallback;
  if (!['Isolated', 'Removed', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'].includes(b)) {
    fail('UNSUPPORTED', `${p.file}: ${p.path}.behavior '${b}' is not supported`);
  }
  return b as Behavior;
}

export function hfPreTokenizer(p: JsonFields): PreTokenizer {
  const type = p.type();
  switch (type) {
    case 'Sequence': {
      const steps = p.get('pretokenizers').items().map(hfPreTokenizer);
      return (words, at) => steps.reduce((w, f) => f(w, at), words);
    }
    case 'ByteLevel': {
      const addPrefixSpace = p.opt('add_prefix_space')?.boolean() ?? true;
      const useRegex = p.opt('use_regex')?.boolean() ?? true;
      return (words) => {
        // Like Hugging Face: every piece reaching this step gets the space, not just the first.
        const prefixed = addPrefixSpace ? words.map((w) => (w.startsWith(' ') ? w : ` ${w}`)) : words;
        const split = useRegex ? splitIsolated(prefixed, GPT2_RE) : prefixed;
        return split.map((w) => byteLevelEncode(utf8Bytes(w)));
      };
    }
    case 'Metaspace': {
      const replacement = p.opt('replacement')?.string() ?? SPACE_MARK;
      const scheme = p.opt('prepend_scheme')?.string() ?? ((p.opt('add_prefix_space')?.boolean() ?? true) ? 'always' : 'never');
      const split = p.opt('split')?.boolean() ?? true;
      const re = new RegExp(`(?=${replacement.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`, 'u');
      return (words, at) =>
        words.flatMap((w, i) => {
          let s = w.replaceAll(' ', replacement);
          const prepend = scheme === 'always' || (scheme === 'first' && at.start && i === 0);
          if (prepend && !s.startsWith(replacement)) s = replacement + s;
          return split ? s.split(re).filter((x) => x.length > 0) : [s];
        });
    }
    case 'Split': {
      const re = hfPattern(p.get('pattern'));
      const behavior = behaviorOf(p, 'Isolated');
      const invert = p.opt('invert')?.boolean() ?? false;
      return (words) => splitBy(words, re, behavior, invert);
    }
    case 'Whitespace':
      return (words) => words.flatMap((w) => [...w.matchAll(WHITESPACE_RE)].map((m) => m[0]));
    case 'WhitespaceSplit':
      return (words) => words.flatMap((w) => w.split(/\s+/u).filter((x) => x.length > 0));
    case 'BertPreTokenizer':
      return (words) => words.flatMap(bertSplit);
    case 'Punctuation': {
      const behavior = behaviorOf(p, 'Isolated');
      return (words) => splitBy(words, PUNCT_RE, behavior, false);
    }
    case 'Digits': {
      const re = (p.opt('individual_digits')?.boolean() ?? false) ? /\p{Nd}/gu : /\p{Nd}+/gu;
      return (words) => splitBy(words, re, 'Isolated', false);
    }
    default:
      return fail('UNSUPPORTED', `${p.file}: ${p.path}: pre-tokenizer type '${type}' is not supported`);
  }
}
