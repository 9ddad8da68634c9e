/** Message texts, kept together so they stay consistent and testable. */
export const ENCODER_MESSAGES = {
  missingFile: (file: string, dir: string) =>
    `Encoder model file '${file}' is missing in ${dir}. Rebuild the model with 'npm run build:models' (or point --model at a complete model directory).`,
  corruptFile: (file: string, expected: string, actual: string) =>
    `Encoder model file '${file}' is corrupted: sha256 ${actual} does not match the manifest's ${expected}. Rebuild it with 'npm run build:models'.`,
  badManifest: (dir: string, reason: string) =>
    `Encoder manifest in ${dir} is unreadable (${reason}). Rebuild the model with 'npm run build:models'.`,
  loadFailed: (model: string, reason: string) =>
    `Could not load encoder model '${model}': ${reason}. Check the model directory or rebuild it with 'npm run build:models'.`,
  notText: (index: number, type: string) =>
    `Input ${index} is a ${type}, not a string: pass an array of strings to embed().`,
} as const;

/** The encoder model could not be found, verified or loaded; the message names the file and the fix. */
export class EncoderModelError extends Error {
  override readonly name = 'EncoderModelError';
  constructor(
    message: string,
    /** The model file concerned, relative to the model directory, when one is known. */
    readonly file?: string,
  ) {
    super(message);
  }
}

/** An input to embed() was not a string. */
export class EncoderInputError extends TypeError {
  override readonly name = 'EncoderInputError';
}
