import type { Command } from 'commander';
import { FILE_TYPE_NAMES } from '../../convert/file-type.js';
import { progressBar } from '../../convert/progress.js';
import { quantizeGGUF } from '../../convert/quantize-model.js';

interface QuantizeCliOptions {
  pure?: boolean;
  allowRequantize?: boolean;
}

export function register(program: Command): void {
  program
    .command('quantize')
    .description("Quantize a GGUF model with llama.cpp's per-tensor mixes (bit-exact with llama-quantize)")
    .argument('<input>', 'source .gguf (F32, F16 or BF16 weights)')
    .argument('<output>', 'the .gguf to write (written to a temporary file, renamed when complete)')
    .argument('<type>', `quantization type: ${FILE_TYPE_NAMES.join(', ')}`)
    .option('--pure', 'give every matrix the same type, without the K-quant mix (llama-quantize --pure)')
    .option('--allow-requantize', 'allow quantizing tensors that are already quantized (loses quality twice)')
    .action((input: string, output: string, type: string, options: QuantizeCliOptions) => {
      const bar = progressBar(`quantize ${type.toUpperCase()}`);
      try {
        quantizeGGUF(input, output, type, { pure: options.pure === true, allowRequantize: options.allowRequantize === true, onProgress: bar.onProgress });
      } finally {
        bar.stop();
      }
      process.stderr.write(`wrote ${output}\n`);
    });
}
