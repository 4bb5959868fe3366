import type { Command } from 'commander';
import { loadTokenizer } from '../../tokenizer/index.js';

interface TokenizeOptions {
  model: string;
  json?: boolean;
  parseSpecial?: boolean;
  bos: boolean;
  eos?: boolean;
}

export function register(program: Command): void {
  program
    .command('tokenize')
    .description('Show the token ids and pieces a model\'s tokenizer turns text into')
    .argument('<text...>', 'text to tokenize (several arguments are joined with spaces)')
    .requiredOption('-m, --model <path>', 'a .gguf file, a tokenizer.json, or a Hugging Face folder')
    .option('--json', 'print {"ids": [...], "pieces": [...]} as one JSON object')
    .option('--parse-special', 'match special tokens written in the text (e.g. <|im_start|>) as single tokens')
    .option('--no-bos', 'do not add BOS even if the model asks for it')
    .option('--eos', 'append EOS even if the model does not ask for it')
    .action((words: string[], options: TokenizeOptions) => {
      const tok = loadTokenizer(options.model);
      const ids = tok.encode(words.join(' '), {
        addBos: options.bos ? undefined : false,
        addEos: options.eos ? true : undefined,
        parseSpecial: options.parseSpecial === true,
      });
      const pieces = ids.map((id) => tok.tokenText(id));
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ids, pieces })}\n`);
        return;
      }
      const width = String(Math.max(0, ...ids)).length;
      process.stdout.write(ids.map((id, i) => `${String(id).padStart(width)} -> ${JSON.stringify(pieces[i])}\n`).join(''));
      process.stdout.write(`${ids.length} token${ids.length === 1 ? '' : 's'}\n`);
    });
}
