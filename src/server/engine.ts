import type { LoadOptions, Model } from '../model/load.js';

/**
 * What the server needs of a loaded model: exactly these members of the library's Model, so tests and
 * embedders can hand the server anything shaped like it.
 */
export type ServedModel = Pick<Model, 'path' | 'config' | 'tokenizer' | 'chatTemplate' | 'contextLength' | 'generate' | 'dispose'>;

export type ModelLoader = (path: string, options: LoadOptions) => Promise<ServedModel>;
