/** Loading a MovieLens-format folder (ratings.csv, movies.csv, optional tags.csv). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';

/** One rating, treated as an implicit interaction. */
export interface Interaction {
  readonly user: string;
  readonly item: string;
  readonly rating: number;
  readonly timestamp: number;
}

/** A movie's text fields and its release year (public catalog data). */
export interface Movie {
  readonly title: string;
  readonly genres: readonly string[];
  readonly tags: readonly string[];
  /** The year in the title, e.g. 1995 for "Toy Story (1995)"; absent when the title has none. */
  readonly year?: number;
}

/** The release year MovieLens writes at the end of a title ("Heat (1995)"), or undefined. */
export function releaseYear(title: string): number | undefined {
  const match = /\((\d{4})\)\s*$/.exec(title.trim());
  return match ? Number(match[1]) : undefined;
}

/** A loaded dataset; `interactions` keep file order. */
export interface MovieLensData {
  readonly interactions: readonly Interaction[];
  readonly movies: ReadonlyMap<string, Movie>;
}

/** The folder or one of its required files is missing or malformed. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}

function readCsv(path: string): Record<string, string>[] {
  const parsed = Papa.parse<Record<string, string>>(readFileSync(path, 'utf8'), {
    header: true,
    skipEmptyLines: true,
  });
  return parsed.data;
}

/** Reads a MovieLens folder; throws DatasetError naming the missing file. */
export function loadMovieLens(dir: string): MovieLensData {
  for (const file of ['ratings.csv', 'movies.csv']) {
    if (!existsSync(join(dir, file))) {
      throw new DatasetError(
        `${join(dir, file)} not found: --data must be a MovieLens-format folder holding ratings.csv and movies.csv (tags.csv optional).`,
      );
    }
  }
  const interactions: Interaction[] = [];
  for (const row of readCsv(join(dir, 'ratings.csv'))) {
    const { userId, movieId, rating, timestamp } = row;
    if (userId === undefined || movieId === undefined || timestamp === undefined) {
      throw new DatasetError(`ratings.csv: expected columns userId,movieId,rating,timestamp.`);
    }
    interactions.push({
      user: userId,
      item: movieId,
      rating: Number(rating ?? 0),
      timestamp: Number(timestamp),
    });
  }
  const tags = new Map<string, string[]>();
  const tagsPath = join(dir, 'tags.csv');
  if (existsSync(tagsPath)) {
    for (const row of readCsv(tagsPath)) {
      if (row.movieId === undefined || row.tag === undefined) continue;
      const list = tags.get(row.movieId) ?? [];
      list.push(row.tag);
      tags.set(row.movieId, list);
    }
  }
  const movies = new Map<string, Movie>();
  for (const row of readCsv(join(dir, 'movies.csv'))) {
    if (row.movieId === undefined) continue;
    const genres = (row.genres ?? '')
      .split('|')
      .filter((g) => g !== '' && g !== '(no genres listed)');
    const title = row.title ?? '';
    const year = releaseYear(title);
    movies.set(row.movieId, {
      title,
      genres,
      tags: tags.get(row.movieId) ?? [],
      ...(year === undefined ? {} : { year }),
    });
  }
  return { interactions, movies };
}

/** Item text used for embedding: title, genres and (deduplicated) tags. */
export function movieText(movie: Movie): string {
  const tags = [...new Set(movie.tags.map((t) => t.toLowerCase()))];
  return [movie.title, movie.genres.join(', '), tags.join(', ')].filter((s) => s !== '').join('. ');
}

/**
 * Catalog rows of the given movies as a site would publish them (public fields only): the title,
 * the first genre as the category, the other genres as tags, and the release year as `year` (the
 * private models' attribute kernel reads it).
 */
export function movieCatalogRows(
  data: MovieLensData,
  itemIds: readonly string[],
): { id: string; title: string; category?: string; tags: string[]; year?: number }[] {
  return itemIds.map((id) => {
    const movie = data.movies.get(id);
    const [category, ...tags] = movie?.genres ?? [];
    return {
      id,
      title: movie?.title || `movie ${id}`,
      ...(category === undefined ? {} : { category }),
      tags,
      ...(movie?.year === undefined ? {} : { year: movie.year }),
    };
  });
}
