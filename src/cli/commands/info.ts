import type { Command } from 'commander';
import { formatInfo, modelInfo } from '../../gguf/info.js';
import { GGUFFile } from '../../gguf/reader.js';
import { modelPath } from '../model-argument.js';

interface InfoOptions {
  model?: string;
  json?: boolean;
  tensors?: boolean;
  metadata?: boolean;
}

export function register(program: Command): void {
  program
    .command('info')
    .description('Show what a GGUF model holds: architecture, sizes, quantization mix, tokenizer, metadata')
    .argument('[model]', 'path to a .gguf file (or -m)')
    .option('-m, --model <path>', 'path to a .gguf file')
    .option('--json', 'print one JSON object with stable field names (metadata and tensor list included)')
    .option('--metadata', 'list every metadata key and its value (arrays by type, length and first items)')
    .option('--tensors', 'list every tensor: name, type, dims, offset in the data section, bytes')
    .action((model: string | undefined, options: InfoOptions) => {
      const file = GGUFFile.open(modelPath(model, options.model));
      try {
        const info = modelInfo(file);
        process.stdout.write(options.json ? JSON.stringify(info, null, 1) + '\n' : formatInfo(info, options.tensors === true, options.metadata === true));
      } finally {
        file.close();
      }
    });
}
