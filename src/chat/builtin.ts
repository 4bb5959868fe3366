import { readFileSync } from 'node:fs';
import { fail } from '../errors.js';
import { ChatTemplate } from './template.js';

/**
 * Chat formats for models that ship no tokenizer.chat_template, written as Jinja so that they render
 * through exactly the same path as a model's own template. Each follows its family's published prompt
 * format; where a family's template rejects a conversation (roles that do not alternate) so do these.
 */
const BUILTIN_SOURCES = {
  chatml:
    "{% for message in messages %}{{ '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",

  // Llama 2 chat: the system prompt lives inside the first [INST] block; every exchange is its own BOS..EOS sequence.
  llama2:
    "{% if messages and messages[0].role == 'system' %}{% set system = messages[0].content %}{% set turns = messages[1:] %}" +
    '{% else %}{% set system = none %}{% set turns = messages %}{% endif %}' +
    '{% for message in turns %}' +
    "{% if (message.role == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('llama2 chat needs roles alternating user/assistant after an optional system message') }}{% endif %}" +
    "{% if message.role == 'user' %}" +
    "{% if loop.first and system is not none %}{% set text = '<<SYS>>\n' + system + '\n<</SYS>>\n\n' + message.content %}{% else %}{% set text = message.content %}{% endif %}" +
    "{{ bos_token + '[INST] ' + text | trim + ' [/INST]' }}" +
    "{% else %}{{ ' ' + message.content | trim + ' ' + eos_token }}{% endif %}" +
    '{% endfor %}',

  llama3:
    '{{ bos_token }}{% for message in messages %}' +
    "{{ '<|start_header_id|>' + message.role + '<|end_header_id|>\n\n' + message.content | trim + '<|eot_id|>' }}" +
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",

  // Mistral instruct (v1): no system role, so a system message is prepended to the first user turn.
  mistral:
    "{% if messages and messages[0].role == 'system' %}{% set system = messages[0].content + '\n\n' %}{% set turns = messages[1:] %}" +
    "{% else %}{% set system = '' %}{% set turns = messages %}{% endif %}" +
    '{{ bos_token }}{% for message in turns %}' +
    "{% if (message.role == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('mistral chat needs roles alternating user/assistant after an optional system message') }}{% endif %}" +
    "{% if message.role == 'user' %}{{ '[INST] ' + (system if loop.first else '') + message.content + ' [/INST]' }}" +
    '{% else %}{{ message.content + eos_token }}{% endif %}' +
    '{% endfor %}',

  phi3:
    '{% for message in messages %}' +
    "{% if message.role != 'system' or message.content %}{{ '<|' + message.role + '|>\n' + message.content + '<|end|>\n' }}{% endif %}" +
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",

  // Stanford Alpaca's instruction format, with its preamble standing in for a missing system message.
  alpaca:
    "{% if messages and messages[0].role == 'system' %}{{ messages[0].content + '\n\n' }}{% set turns = messages[1:] %}" +
    "{% else %}{{ 'Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n' }}{% set turns = messages %}{% endif %}" +
    "{% for message in turns %}{% if message.role == 'user' %}{{ '### Instruction:\n' + message.content + '\n\n' }}" +
    "{% else %}{{ '### Response:\n' + message.content + '\n\n' }}{% endif %}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '### Response:\n' }}{% endif %}",

  // For base models with no chat training (stories260K): readable "role: content" lines.
  raw:
    "{% for message in messages %}{{ message.role + ': ' + message.content + '\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}",
} as const;

export type BuiltinTemplateName = keyof typeof BUILTIN_SOURCES;
export const BUILTIN_TEMPLATE_NAMES = Object.keys(BUILTIN_SOURCES) as BuiltinTemplateName[];

export function isBuiltinTemplateName(name: string): name is BuiltinTemplateName {
  return Object.hasOwn(BUILTIN_SOURCES, name);
}

export function builtinTemplate(name: BuiltinTemplateName): ChatTemplate {
  return new ChatTemplate(name, BUILTIN_SOURCES[name]);
}

/** What a model tells us about its chat format when it ships no template. */
export interface ModelHints {
  /** general.name / the file name. */
  readonly name: string;
  readonly architecture: string;
  /** True when the vocabulary holds this control token (e.g. '<|im_start|>'). */
  hasToken(text: string): boolean;
}

/**
 * The built-in format for a model without a template: its control tokens are the surest sign of the
 * format it was tuned on, then its name; a model with neither (a base model) gets `raw`.
 */
export function guessBuiltinTemplate(hints: ModelHints): BuiltinTemplateName {
  if (hints.hasToken('<|im_start|>')) return 'chatml';
  if (hints.hasToken('<|start_header_id|>')) return 'llama3';
  if (hints.hasToken('<|assistant|>') && hints.hasToken('<|end|>')) return 'phi3';
  const name = `${hints.name} ${hints.architecture}`.toLowerCase();
  if (/llama[-_ ]?3/.test(name)) return 'llama3';
  if (/llama[-_ ]?2.*chat|chat.*llama[-_ ]?2/.test(name)) return 'llama2';
  if (/mistral|mixtral/.test(name)) return 'mistral';
  if (/phi[-_ ]?3/.test(name)) return 'phi3';
  if (/qwen|chatml|hermes/.test(name)) return 'chatml';
  if (/alpaca/.test(name)) return 'alpaca';
  return 'raw';
}

/** `--chat-template NAME|FILE`: a built-in's name, or the path of a Jinja file (needs no model, so it can be checked first). */
export function namedChatTemplate(name: string): ChatTemplate {
  if (isBuiltinTemplateName(name)) return builtinTemplate(name);
  let source: string;
  try {
    source = readFileSync(name, 'utf8');
  } catch {
    fail('MISSING', `--chat-template '${name}' is neither a built-in (${BUILTIN_TEMPLATE_NAMES.join(', ')}) nor a readable file`);
  }
  return new ChatTemplate(name, source);
}

/** The template `--chat-template` names; the model's own otherwise, and failing that the guessed built-in. */
export function resolveChatTemplate(override: string | undefined, modelTemplate: string | undefined, hints: ModelHints): ChatTemplate {
  if (override !== undefined) return namedChatTemplate(override);
  if (modelTemplate !== undefined && modelTemplate.trim() !== '') return new ChatTemplate('tokenizer.chat_template', modelTemplate);
  return builtinTemplate(guessBuiltinTemplate(hints));
}
