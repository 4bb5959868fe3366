import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fail } from '../errors.js';
import { SafeTensorsFile, type SafeTensorInfo } from './reader.js';

const INDEX_FILE = 'model.safetensors.index.json';
const SINGLE_FILE = 'model.safetensors';

export interface CheckpointTensor extends SafeTensorInfo {
  readonly file: SafeTensorsFile;
}

function readIndex(indexPath: string): Map<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (e) {
    return fail('BAD_FILE', `${indexPath}: cannot read the shard index (${(e as Error).message})`);
  }
  const map = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) fail('MISSING', `${indexPath}: key 'weight_map' is missing or not an object`);
  const out = new Map<string, string>();
  for (const [tensor, file] of Object.entries(map)) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\') || file.startsWith('.')) {
      fail('BAD_FILE', `${indexPath}: weight_map['${tensor}'] must be a shard file name in the same folder, got ${JSON.stringify(file)}`);
    }
    out.set(tensor, file);
  }
  return out;
}

/**
 * A model's weights as one set of named tensors, whether stored in one model.safetensors or sharded
 * across several files listed by model.safetensors.index.json. Every shard is opened (headers only)
 * at open, so a missing shard or a tensor the index promises but no shard holds fails early.
 */
export class SafeTensorsCheckpoint {
  private readonly byName: ReadonlyMap<string, CheckpointTensor>;

  private constructor(
    readonly path: string,
    readonly files: readonly SafeTensorsFile[],
    tensors: Map<string, CheckpointTensor>,
  ) {
    this.byName = tensors;
  }

  /** Opens a folder (index or single file) or one .safetensors file. */
  static open(path: string): SafeTensorsCheckpoint {
    if (!existsSync(path)) fail('MISSING', `${path}: no such file or folder`);
    if (!statSync(path).isDirectory()) return SafeTensorsCheckpoint.fromFiles(path, [path], undefined);
    const indexPath = join(path, INDEX_FILE);
    if (existsSync(indexPath)) {
      const index = readIndex(indexPath);
      const shards = [...new Set(index.values())].map((f) => join(path, f));
      return SafeTensorsCheckpoint.fromFiles(path, shards, index);
    }
    if (existsSync(join(path, SINGLE_FILE))) return SafeTensorsCheckpoint.fromFiles(path, [join(path, SINGLE_FILE)], undefined);
    const found = readdirSync(path).filter((f) => f.endsWith('.safetensors'));
    if (found.length === 1) return SafeTensorsCheckpoint.fromFiles(path, [join(path, found[0]!)], undefined);
    return fail('MISSING', `${path}: no ${SINGLE_FILE} or ${INDEX_FILE}${found.length > 1 ? ` (found ${found.length} .safetensors files but no index naming them)` : ''}`);
  }

  private static fromFiles(path: string, paths: string[], index: Map<string, string> | undefined): SafeTensorsCheckpoint {
    const files: SafeTensorsFile[] = [];
    try {
      const tensors = new Map<string, CheckpointTensor>();
      for (const p of paths) {
        const file = SafeTensorsFile.open(p);
        files.push(file);
        for (const t of file.tensors) {
          const other = tensors.get(t.name);
          if (other !== undefined) fail('BAD_FILE', `${p}: tensor '${t.name}' is also in ${other.file.path}`);
          if (index !== undefined && index.get(t.name) !== basename(p)) {
            fail('BAD_FILE', `${p}: holds tensor '${t.name}', which ${INDEX_FILE} places in ${index.get(t.name) ?? 'no shard'}`);
          }
          tensors.set(t.name, { ...t, file });
        }
      }
      if (index !== undefined) {
        for (const [name, shard] of index) {
          if (!tensors.has(name)) fail('MISSING', `${join(dirname(paths[0]!), shard)}: has no tensor '${name}', which ${INDEX_FILE} places there`);
        }
      }
      return new SafeTensorsCheckpoint(path, files, tensors);
    } catch (e) {
      for (const f of files) f.close();
      throw e;
    }
  }

  get tensors(): IterableIterator<CheckpointTensor> {
    return this.byName.values();
  }

  tensor(name: string): CheckpointTensor | undefined {
    return this.byName.get(name);
  }

  read(name: string): Uint8Array {
    const t = this.byName.get(name) ?? fail('MISSING', `${this.path}: no tensor '${name}'`);
    return t.file.read(t);
  }

  close(): void {
    for (const f of this.files) f.close();
  }
}
