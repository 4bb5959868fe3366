import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, type Llama as NativeLlama } from 'node-llama-cpp';
import { convertHF } from '../src/convert/convert-hf.js';
import { quantizeGGUF } from '../src/convert/quantize-model.js';
import { GGUFSource } from '../src/model/gguf-source.js';
import { openHFSource } from '../src/hf/source.js';
import { loadLlamaWeights } from '../src/model/llama-weights.js';
import { Llama } from '../src/model/llama.js';
import { JsBackend } from '../src/backend/js/backend.js';
import type { ModelSource } from '../src/model/source.js';
import { typeName } from '../src/tensor/ggml-type.js';
import { assertSameTensors, tensorOf, withGGUF } from './helpers/gguf-file.js';
import { isError } from './helpers/refusal.js';

const HF = '../shared/hf/llama-tiny-hf';
const F16 = '../shared/models/llama-tiny-shape-F16.gguf';
/** Greedy steps compared per prompt: enough to cover several distinct tokens of every reference continuation. */
const STEPS = 12;

interface Reference {
  prompt: string;
  prompt_ids: number[];
  greedy_ids: number[];
}
const refs = [0, 1, 2].map((i) => JSON.parse(readFileSync(`../shared/reference/logits/llama-tiny-shape-F16.${i}.json`, 'utf8')) as Reference);

let dir = '';
let native: NativeLlama;
/** The folder converted to F16, and that file quantized, made once for all tests. */
let f16 = '';
const quantized = new Map<string, string>();
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'convert-'));
  f16 = join(dir, 'f16.gguf');
  convertHF(HF, f16, 'f16');
  quantized.set('Q8_0', join(dir, 'Q8_0.gguf'));
  quantizeGGUF(f16, quantized.get('Q8_0')!, 'Q8_0');
  // Straight from the folder: the same tensors as quantizing the F16 (checked against llama-quantize's file below).
  quantized.set('Q4_K_M', join(dir, 'Q4_K_M.gguf'));
  convertHF(HF, quantized.get('Q4_K_M')!, 'q4_k_m');
  native = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, logLevel: 'error' as never });
});
after(async () => {
  await native?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** llama.cpp's tokenization of `prompt` (with BOS) and its greedy continuation, through node-llama-cpp. */
async function llamaCppGreedy(path: string, prompt: string): Promise<{ promptIds: number[]; greedy: number[] }> {
  const model = await native.loadModel({ modelPath: path });
  try {
    const ctx = await model.createContext({ contextSize: 128, batchSize: 64, threads: 1 });
    const promptIds = [model.tokens.bos!, ...model.tokenize(prompt)].map(Number);
    const greedy: number[] = [];
    for await (const t of ctx.getSequence().evaluate(promptIds as never, { temperature: 0 })) {
      greedy.push(Number(t));
      if (greedy.length >= STEPS) break;
    }
    await ctx.dispose();
    return { promptIds, greedy };
  } finally {
    await model.dispose();
  }
}

/**
 * Largest logit gap we accept between our engine's top token and llama.cpp's greedy choice at one step.
 * The random-weight test model has near-ties that llama.cpp builds (kernels, versions) themselves break
 * differently; agreeing within this gap at every step means the same model, where exact argmax could flip.
 */
const NEAR_TIE = 0.01;

/**
 * Checks llama.cpp's greedy continuation against our engine on `source`, teacher-forced: one batched pass over
 * prompt + continuation, and at every step llama.cpp's token must be our top token or within NEAR_TIE of it.
 * Returns how many steps agreed exactly.
 */
function assertGreedyAgrees(source: ModelSource, promptIds: readonly number[], greedy: readonly number[], what: string): number {
  const backend = new JsBackend({ activations: 'llama.cpp' });
  const model = new Llama(source.config, loadLlamaWeights(source, backend), backend);
  const ids = [...promptIds, ...greedy.slice(0, -1)];
  const logits = model.forward(model.newSequence(ids.length), ids, 'all');
  const vocab = source.config.vocabSize;
  let exact = 0;
  greedy.forEach((token, step) => {
    const row = logits.subarray((promptIds.length - 1 + step) * vocab, (promptIds.length + step) * vocab);
    let best = 0;
    for (let v = 1; v < vocab; v++) if (row[v]! > row[best]!) best = v;
    if (best === token) exact++;
    assert.ok(row[best]! - row[token]! <= NEAR_TIE, `${what}: step ${step} llama.cpp chose ${token} (logit ${row[token]}), we prefer ${best} (${row[best]})`);
  });
  return exact;
}

test('convert --type f16 reproduces llama-tiny-shape-F16.gguf: every tensor byte for byte, the same hparams and vocabulary', () => {
  assertSameTensors(f16, F16);
  withGGUF(f16, (a) =>
    withGGUF(F16, (b) => {
      for (const [key, entry] of b.metadata) {
        // The name is the folder's; scores are derived from tokenizer.json's merges (checked through llama.cpp below).
        if (key === 'general.name' || key === 'tokenizer.ggml.scores') continue;
        assert.deepEqual(a.metadata.get(key), entry, key);
      }
      assert.equal(a.get('general.quantization_version'), 2);
    }),
  );
});

test('llama.cpp loads the converted GGUF, tokenizes as the reference and continues greedily as our engine on the folder', async () => {
  const folder = openHFSource(HF);
  try {
    for (const ref of refs) {
      const { promptIds, greedy } = await llamaCppGreedy(f16, ref.prompt);
      assert.deepEqual(promptIds, ref.prompt_ids, `llama.cpp's tokens of '${ref.prompt}'`);
      // The reference continuation came from llama.cpp on llama-tiny-shape-F16.gguf itself.
      assert.deepEqual(greedy, ref.greedy_ids.slice(0, STEPS), `llama.cpp greedy after '${ref.prompt}'`);
      assertGreedyAgrees(folder, promptIds, greedy, `folder after '${ref.prompt}'`);
    }
  } finally {
    folder.close();
  }
});

for (const type of ['Q8_0', 'Q4_K_M']) {
  test(`${type} (quantized F16, or converted directly): llama.cpp loads it and continues greedily as our engine does on it`, async () => {
    const q = quantized.get(type)!;
    const src = GGUFSource.open(q);
    try {
      let exact = 0;
      for (const ref of refs) {
        const { promptIds, greedy } = await llamaCppGreedy(q, ref.prompt);
        exact += assertGreedyAgrees(src, promptIds, greedy, `${type} after '${ref.prompt}'`);
      }
      // Near-ties are the exception: most steps must agree exactly.
      assert.ok(exact >= refs.length * STEPS - 3, `${exact} of ${refs.length * STEPS} steps agree exactly`);
    } finally {
      src.close();
    }
  });
}

test("convert --type q4_k_m writes llama-quantize's Q4_K_M of the same weights, tensor for tensor", () => {
  withGGUF(quantized.get('Q4_K_M')!, (a) =>
    withGGUF('../shared/models/llama-tiny-shape-Q4_K_M.gguf', (b) => {
      assert.equal(a.get('general.file_type'), 15);
      // llama-quantize writes the tensors in its own order; each one must match.
      for (const t of b.tensors) {
        const u = tensorOf(a, t.name);
        assert.equal(typeName(u.type), typeName(t.type), t.name);
        assert.ok(Buffer.from(a.readTensor(u)).equals(Buffer.from(b.readTensor(t))), `bytes of ${t.name}`);
      }
    }),
  );
});

test('convert fails clearly on a folder without config.json or with an unknown type', () => {
  assert.throws(() => convertHF(dir, join(dir, 'x.gguf'), 'f16'), isError('MISSING', 'config.json'));
  assert.throws(() => convertHF(HF, join(dir, 'x.gguf'), 'q3_x'), isError('BAD_ARGUMENT', "'q3_x'"));
});
