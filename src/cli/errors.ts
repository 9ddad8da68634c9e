/** Wrong or missing command-line arguments; the message says which and how to fix it. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}
