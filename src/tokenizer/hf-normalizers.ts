import { fail } from '../errors.js';
import type { JsonFields } from './json-fields.js';
import { compilePattern } from './regex.js';
import { bertNormalize } from './wordpiece.js';

/** A Hugging Face normalizer: text in, text out. */
export type Normalizer = (text: string) => string;

/** A Replace/Split pattern: a literal string or a regex. */
export function hfPattern(p: JsonFields): RegExp {
  if (p.has('String')) return new RegExp(escapeRegExp(p.get('String').string()), 'gu');
  if (p.has('Regex')) return compilePattern(p.get('Regex').string(), `${p.file}: ${p.path}`);
  return fail('BAD_FILE', `${p.file}: ${p.path} must hold String or Regex`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export function hfNormalizer(n: JsonFields): Normalizer {
  const type = n.type();
  switch (type) {
    case 'Sequence': {
      const steps = n.get('normalizers').items().map(hfNormalizer);
      return (t) => steps.reduce((s, f) => f(s), t);
    }
    case 'Prepend': {
      const prefix = n.get('prepend').string();
      return (t) => (t.length > 0 ? prefix + t : t);
    }
    case 'Replace': {
      const re = hfPattern(n.get('pattern'));
      const content = n.get('content').string();
      return (t) => t.replace(re, () => content);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (t) => t.normalize(type);
    case 'Lowercase':
      return (t) => t.toLowerCase();
    case 'StripAccents':
      // Meant to follow NFD: removes the combining marks it produced.
      return (t) => t.replace(/\p{Mn}/gu, '');
    case 'Strip': {
      const left = n.opt('strip_left')?.boolean() ?? true;
      const right = n.opt('strip_right')?.boolean() ?? true;
      return (t) => (left && right ? t.trim() : left ? t.trimStart() : right ? t.trimEnd() : t);
    }
    case 'BertNormalizer': {
      const lowercase = n.opt('lowercase')?.boolean() ?? true;
      const options = {
        lowercase,
        stripAccents: n.opt('strip_accents')?.boolean() ?? lowercase,
        cleanText: n.opt('clean_text')?.boolean() ?? true,
        chineseChars: n.opt('handle_chinese_chars')?.boolean() ?? true,
      };
      return (t) => bertNormalize(t, options);
    }
    case 'Precompiled': {
      // An empty charsmap normalizes nothing; a real one is SentencePiece's compiled NFKC-like table.
      const map = n.opt('precompiled_charsmap')?.string() ?? '';
      if (map.length === 0) return (t) => t;
      return fail('UNSUPPORTED', `${n.file}: ${n.path}: Precompiled normalizer (SentencePiece charsmap) is not supported`);
    }
    default:
      return fail('UNSUPPORTED', `${n.file}: ${n.path}: normalizer type '${type}' is not supported`);
  }
}
