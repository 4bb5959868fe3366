import type { Command } from 'commander';
import { formatInfo, modelInfo } from '../../gguf/info.js';
import { GGUFFile } from '../../gguf/reader.js';

interface InfoOptions {
  json?: boolean;
  tensors?: boolean;
}

export function register(program: Command): void {
  program
    .command('info')
    .description('Show what a GGUF model holds: architecture, sizes, quantization mix, tokenizer, metadata')
    .argument('<model>', 'path to a .gguf file')
    .option('--json', 'print one JSON object with stable field names (metadata and tensor list included)')
    .option('--tensors', 'list every tensor: name, type, dims, offset in the data section, bytes')
    .action((model: string, options: InfoOptions) => {
      const file = GGUFFile.open(model);
      try {
        const info = modelInfo(file);
        process.stdout.write(options.json ? JSON.stringify(info, null, 1) + '\n' : formatInfo(info, options.tensors === true));
      } finally {
        file.close();
      }
    });
}
