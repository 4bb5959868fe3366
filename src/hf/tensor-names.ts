import { fail } from '../errors.js';

/** Per-layer Hugging Face module paths (after `model.layers.N.`) and their GGUF names (after `blk.N.`). */
const LAYER_NAMES: Readonly<Record<string, string>> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.q_proj.bias': 'attn_q.bias',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.k_proj.bias': 'attn_k.bias',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.v_proj.bias': 'attn_v.bias',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
};

const GLOBAL_NAMES: Readonly<Record<string, string>> = {
  'model.embed_tokens.weight': 'token_embd.weight',
  'model.norm.weight': 'output_norm.weight',
  'lm_head.weight': 'output.weight',
};

/** Buffers some checkpoints carry that are recomputed, not learned. */
const IGNORED_SUFFIXES = ['.rotary_emb.inv_freq'];

const LAYER = /^model\.layers\.(\d+)\.(.+)$/;

/**
 * The GGUF name of a Hugging Face llama/mistral/qwen2 tensor, null for buffers we do not need;
 * an unknown tensor is an error (silently dropping a weight would give a wrong model).
 */
export function ggufTensorName(hfName: string, where: string): string | null {
  if (IGNORED_SUFFIXES.some((s) => hfName.endsWith(s))) return null;
  const global = GLOBAL_NAMES[hfName];
  if (global !== undefined) return global;
  const m = LAYER.exec(hfName);
  const local = m === null ? undefined : LAYER_NAMES[m[2]!];
  if (m === null || local === undefined) return fail('UNSUPPORTED', `${where}: tensor '${hfName}' has no GGUF equivalent for this architecture`);
  return `blk.${Number(m[1])}.${local}`;
}
