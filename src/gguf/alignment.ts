import { GGUF_DEFAULT_ALIGNMENT, GGUFValueType, type GGUFMetadataEntry } from './types.js';

/**
 * The data alignment general.alignment sets (the default when absent). It must be a u32 power of two, as llama.cpp
 * reads it; anything else goes to `refuse`, so a reader can call it a bad file and a writer a bad argument.
 */
export function alignmentOf(metadata: ReadonlyMap<string, GGUFMetadataEntry>, refuse: (problem: string) => never): number {
  const entry = metadata.get('general.alignment');
  if (entry === undefined) return GGUF_DEFAULT_ALIGNMENT;
  const a = entry.value;
  if (entry.type !== GGUFValueType.UINT32 || typeof a !== 'number' || a === 0 || (a & (a - 1)) !== 0) {
    refuse(`general.alignment must be a u32 power of two, got ${String(a)} (${GGUFValueType[entry.type] ?? entry.type})`);
  }
  return a;
}
