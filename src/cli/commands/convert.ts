import type { Command } from 'commander';
import { convertHF } from '../../convert/convert-hf.js';
import { progressBar } from '../../convert/progress.js';

interface ConvertCliOptions {
  output: string;
  type: string;
}

export function register(program: Command): void {
  program
    .command('convert')
    .description('Convert a Hugging Face model folder (config.json, safetensors, tokenizer.json) to a GGUF file llama.cpp can load')
    .argument('<folder>', 'Hugging Face model folder (LlamaForCausalLM, MistralForCausalLM or Qwen2ForCausalLM)')
    .requiredOption('-o, --output <file>', 'the .gguf to write (written to a temporary file, renamed when complete)')
    .option('-t, --type <type>', 'tensor type: f32, f16, bf16, q8_0, q4_0, q4_k_m, q5_k_m, q6_k (any `realizar quantize` type)', 'f16')
    .action((folder: string, options: ConvertCliOptions) => {
      const bar = progressBar(`convert ${options.type.toUpperCase()}`);
      try {
        convertHF(folder, options.output, options.type, { onProgress: bar.onProgress });
      } finally {
        bar.stop();
      }
      process.stderr.write(`wrote ${options.output}\n`);
    });
}
