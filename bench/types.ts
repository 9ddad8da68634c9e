/** Options every bench suite receives; dataset paths are optional and suites skip what they lack. */
export interface BenchOptions {
  /** Folder of a MovieLens-format dataset, when given with --movielens. */
  readonly movielens?: string;
  /** STS-B tab-separated file, when given with --stsb. */
  readonly stsb?: string;
  /** Writes a progress line to stderr (never stdout, which carries the JSON). */
  readonly log: (message: string) => void;
}

/** Named figures; keys are dotted (`encoder.sentences_per_s`). */
export type BenchFigures = Record<string, number | string | boolean | null>;

/** One area's benchmarks. */
export interface BenchSuite {
  readonly name: string;
  run(options: BenchOptions): Promise<BenchFigures>;
}
