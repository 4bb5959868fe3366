import { fail } from '../errors.js';

/**
 * Unicode White_Space, which Rust/Oniguruma's \s and llama.cpp's whitespace flag mean; JS's \s differs
 * (it adds U+FEFF and lacks U+0085).
 */
const WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';

/** Unicode \w as Rust/Oniguruma define it (JS's is ASCII-only). */
const WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
/** Characters JS's unicode mode lets a backslash escape (besides letters and digits, and `-` in a class). */
const SYNTAX = '^$\\.*+?()[]{}|/';

/**
 * Compiles a pre-tokenizer pattern written for Oniguruma/PCRE (Hugging Face, llama.cpp) into a JS RegExp with
 * the same meaning: \s and \S use Unicode White_Space, `(?i:...)` becomes explicit [xX] classes (JS in Node 20
 * has no inline flags), and possessive quantifiers, which never backtrack into, become atomic via a
 * lookahead-and-backreference.
 */
export function compilePattern(pattern: string, where: string): RegExp {
  let out = '';
  let inClass = false;
  let caseless = 0; // depth of (?i: groups still open
  const groupCaseless: boolean[] = [];
  let atomic = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e === 's') out += inClass ? WHITESPACE : `[${WHITESPACE}]`;
      else if (e === 'S') {
        if (inClass) fail('UNSUPPORTED', `${where}: \\S inside a character class is not supported in pattern ${JSON.stringify(pattern)}`);
        out += `[^${WHITESPACE}]`;
      } else if (e === 'p' || e === 'P' || e === 'u' || e === 'x') {
        // Taken whole, so that the braces of \p{..} and \u{..} are never read as a quantifier's.
        const m = /^\\[pPux](\{[^}]*\}|[0-9A-Fa-f]{2,4})/.exec(pattern.slice(i));
        const body = m ? m[0] : pattern.slice(i, i + 2);
        out += body;
        i += body.length - 2;
      } else if (e === 'd') out += '\\p{Nd}';
      else if (e === 'w') out += inClass ? WORD : `[${WORD}]`;
      else if (e === 'D' || e === 'W') {
        if (inClass) fail('UNSUPPORTED', `${where}: \\${e} inside a character class is not supported in pattern ${JSON.stringify(pattern)}`);
        out += e === 'D' ? '\\P{Nd}' : `[^${WORD}]`;
      } else if (e !== undefined && !/[A-Za-z0-9]/.test(e) && !SYNTAX.includes(e) && !(inClass && e === '-')) {
        // Oniguruma allows escaping any punctuation; JS's unicode mode only syntax characters.
        out += e;
      } else out += `\\${e ?? ''}`;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      else if (c === '[') {
        out += '\\[';
        continue;
      }
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?i:', i)) {
        caseless++;
        groupCaseless.push(true);
        out += '(?:';
        i += 3;
        continue;
      }
      groupCaseless.push(false);
      out += c;
      continue;
    }
    if (c === ')') {
      if (groupCaseless.pop()) caseless--;
      out += c;
      continue;
    }
    if ((c === '+' || c === '*' || c === '?' || c === '}') && pattern[i + 1] === '+') {
      // Possessive: wrap the quantified atom so the engine cannot give characters back.
      const atomStart = findAtomStart(out);
      const atom = out.slice(atomStart) + c;
      atomic++;
      out = `${out.slice(0, atomStart)}(?=(?<__a${atomic}>${atom}))\\k<__a${atomic}>`;
      i++;
      continue;
    }
    if (caseless > 0 && /[A-Za-z]/.test(c)) {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
      continue;
    }
    out += c;
  }
  try {
    return new RegExp(out, 'gu');
  } catch (e) {
    return fail('UNSUPPORTED', `${where}: cannot compile pattern ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

/** Start index in `re` of the last atom (a class, group, escape or single character), for quantifier rewriting. */
function findAtomStart(re: string): number {
  // Skip back over the `{m,n` of a counted quantifier already emitted.
  const counted = /\{\d*,?\d*$/.exec(re);
  const end = counted ? counted.index : re.length;
  const last = re[end - 1];
  const open = last === ']' ? '[' : last === ')' ? '(' : undefined;
  if (open !== undefined) {
    let depth = 0;
    for (let i = end - 1; i >= 0; i--) {
      if (re[i] === last && re[i - 1] !== '\\') depth++;
      else if (re[i] === open && re[i - 1] !== '\\') {
        depth--;
        if (depth === 0) return i;
      }
    }
  }
  const prop = /\\[pP]\{[^}]*\}$|\\u[0-9A-Fa-f]{4}$|\\.$/u.exec(re.slice(0, end));
  if (prop) return end - prop[0].length;
  return end - 1;
}

/**
 * Splits each chunk by `re`, keeping both the matches and the text between them as separate chunks
 * (Hugging Face's Split with behavior "Isolated", which is also how llama.cpp applies its regex list).
 */
export function splitIsolated(chunks: readonly string[], re: RegExp): string[] {
  const out: string[] = [];
  for (const chunk of chunks) {
    let last = 0;
    for (const m of chunk.matchAll(re)) {
      if (m[0].length === 0) continue;
      if (m.index > last) out.push(chunk.slice(last, m.index));
      out.push(m[0]);
      last = m.index + m[0].length;
    }
    if (last < chunk.length) out.push(chunk.slice(last));
  }
  return out;
}
