import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { fail } from '../errors.js';

/** One turn of a conversation, as OpenAI's chat API and Hugging Face chat templates both spell it. */
export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

export interface RenderOptions {
  /** End the prompt with the header of an assistant turn, so the model writes the reply. */
  readonly addGenerationPrompt: boolean;
  readonly bosToken: string;
  readonly eosToken: string;
  /** The clock templates read through strftime_now (tests pin it). */
  readonly now?: () => Date;
}

/** Thrown by a template's own raise_exception: the conversation is one the model's format cannot express. */
export class TemplateRejection extends Error {}

/**
 * A parsed Jinja chat template, rendered the way Hugging Face transformers' apply_chat_template does
 * (trim_blocks and lstrip_blocks are @huggingface/jinja's defaults), so a model's own
 * tokenizer.chat_template produces the prompt text it was trained on.
 */
export class ChatTemplate {
  readonly name: string;
  readonly source: string;
  private readonly template: Template;

  /** Parses once; a template that does not parse is refused here, at load, not on the first request. */
  constructor(name: string, source: string) {
    this.name = name;
    this.source = source;
    try {
      this.template = new Template(source);
    } catch (err) {
      fail('BAD_FILE', `chat template '${name}' does not parse: ${messageOf(err)}; pass --chat-template NAME|FILE to use another`);
    }
  }

  /** The prompt text for `messages`; throws BAD_ARGUMENT when the template rejects the conversation. */
  render(messages: readonly ChatMessage[], options: RenderOptions): string {
    const now = options.now ?? (() => new Date());
    try {
      const env = globalsFor(now);
      env.set('messages', messages.map((m) => ({ role: m.role, content: m.content })));
      env.set('add_generation_prompt', options.addGenerationPrompt);
      env.set('bos_token', options.bosToken);
      env.set('eos_token', options.eosToken);
      return new Jinja2Interpreter(env).run(this.template.parsed).value as string;
    } catch (err) {
      if (err instanceof TemplateRejection) fail('BAD_ARGUMENT', `chat template '${this.name}' rejects these messages: ${err.message}`);
      fail('BAD_ARGUMENT', `chat template '${this.name}' failed to render these messages: ${messageOf(err)}`);
    }
  }
}

/**
 * The parts of the library's AST and runtime values read here: its declaration files do not resolve
 * under NodeNext (extensionless imports), so Interpreter's own types are not visible to us.
 */
interface Node {
  readonly type: string;
}
interface Value {
  readonly type: string;
}
type InterpreterClass = new (environment: Environment) => {
  run(program: unknown): Value & { readonly value: unknown };
  evaluate(node: Node | undefined, environment: Environment): Value;
};
interface ForNode extends Node {
  readonly iterable: Node & { readonly lhs?: Node };
}
interface FilterNode extends Node {
  readonly operand: Node;
  readonly filter: Node & { readonly value?: string; readonly callee?: { readonly value?: string } };
}

/** Filters that Python's jinja2 applies to a None or undefined operand as to an empty sequence. */
const SEQUENCE_FILTERS = new Set(['selectattr', 'rejectattr', 'select', 'reject', 'map']);

/**
 * @huggingface/jinja with two of Python jinja2's leniencies that tool-calling templates (Hermes, Cohere,
 * Functionary) rely on when no tools are passed: looping over an undefined variable runs no iterations,
 * and filtering None through selectattr & co. gives an empty sequence. The library refuses both.
 */
class Jinja2Interpreter extends (Interpreter as unknown as InterpreterClass) {
  /** The iterable expressions of the for loops met so far. */
  private readonly loopSources = new WeakSet<object>();

  override evaluate(node: Node | undefined, environment: Environment): Value {
    if (node?.type === 'For') {
      const { iterable } = node as ForNode;
      this.loopSources.add(iterable.type === 'SelectExpression' && iterable.lhs ? iterable.lhs : iterable);
    } else if (node?.type === 'FilterExpression') {
      const { operand, filter } = node as FilterNode;
      const name = filter.type === 'Identifier' ? filter.value : filter.callee?.value;
      if (name !== undefined && SEQUENCE_FILTERS.has(name) && isNothing(super.evaluate(operand, environment))) return emptyList();
    }
    const value = super.evaluate(node, environment);
    return node !== undefined && value.type === 'UndefinedValue' && this.loopSources.has(node) ? emptyList() : value;
  }
}

function isNothing(value: Value): boolean {
  return value.type === 'UndefinedValue' || value.type === 'NullValue';
}

/** A fresh runtime list value (the library converts JS values only through an environment). */
function emptyList(): Value {
  const holder = new Environment();
  holder.set('list', []);
  return holder.lookupVariable('list') as Value;
}

/**
 * The globals transformers gives a template. Built here rather than by Template.render because its
 * raise_exception loses the template's message and its strftime_now follows the host locale and clock.
 */
function globalsFor(now: () => Date): Environment {
  const env = new Environment();
  for (const [name, value] of [['true', true], ['false', false], ['none', null], ['True', true], ['False', false], ['None', null]] as const) {
    env.set(name, value);
  }
  env.set('range', range);
  env.set('raise_exception', (message: unknown) => {
    throw new TemplateRejection(String(message));
  });
  env.set('strftime_now', (format: string) => strftime(now(), format));
  return env;
}

/** Python's range(stop) / range(start, stop[, step]). */
function range(first: number, second?: number, step = 1): number[] {
  const [start, stop] = second === undefined ? [0, first] : [first, second];
  if (step === 0) throw new Error('range() step must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * Python's strftime for the directives chat templates use (Llama 3.x writes "%d %b %Y"), in English
 * whatever the host locale, as transformers renders them.
 */
export function strftime(date: Date, format: string): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return format.replace(/%[YmdbBaAHMSjy%]/g, (directive) => {
    switch (directive) {
      case '%Y': return String(date.getFullYear());
      case '%y': return pad(date.getFullYear() % 100);
      case '%m': return pad(date.getMonth() + 1);
      case '%d': return pad(date.getDate());
      case '%b': return MONTHS[date.getMonth()]!.slice(0, 3);
      case '%B': return MONTHS[date.getMonth()]!;
      case '%a': return DAYS[date.getDay()]!.slice(0, 3);
      case '%A': return DAYS[date.getDay()]!;
      case '%H': return pad(date.getHours());
      case '%M': return pad(date.getMinutes());
      case '%S': return pad(date.getSeconds());
      case '%j': {
        const start = new Date(date.getFullYear(), 0, 1);
        return String(Math.floor((date.getTime() - start.getTime()) / 86_400_000) + 1).padStart(3, '0');
      }
      default: return '%';
    }
  });
}
