/** What to do about a broken model from the command line (Node). */
export const CLI_MODEL_FIX =
  "Rebuild the model with 'npm run build:models' (or point --model at a complete model directory).";

/** What to do about a broken model in a browser: a deployment matter, never a build command. */
export function browserModelFix(modelsUrl: string): string {
  return `Serve the build's models/ folder at ${modelsUrl}, or point the element's models attribute (Hearth.init({ models })) at where it is.`;
}

/** Message texts, kept together so they stay consistent and testable; `fix` says what to do. */
export const ENCODER_MESSAGES = {
  missingFile: (file: string, dir: string, fix: string = CLI_MODEL_FIX) =>
    `Encoder model file '${file}' is missing in ${dir}. ${fix}`,
  corruptFile: (file: string, expected: string, actual: string, fix: string = CLI_MODEL_FIX) =>
    `Encoder model file '${file}' is corrupted: sha256 ${actual} does not match the manifest's ${expected}. ${fix}`,
  badManifest: (dir: string, reason: string, fix: string = CLI_MODEL_FIX) =>
    `Encoder manifest in ${dir} is unreadable (${reason}). ${fix}`,
  loadFailed: (model: string, reason: string, fix: string = CLI_MODEL_FIX) =>
    `Could not load encoder model '${model}': ${reason}. ${fix}`,
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
