/**
 * A small RFC 4180 CSV reader that keeps line numbers and recovers from a broken quote: the
 * broken record is reported and reading resumes at the next physical line.
 */

/** One CSV record and the line it starts on (1-based). */
export interface CsvRecord {
  readonly line: number;
  readonly cells: string[];
}

/** A record that could not be read. */
export interface CsvError {
  readonly line: number;
  readonly problem: string;
}

/** Everything read from a CSV text. */
export interface CsvTable {
  readonly delimiter: string;
  readonly records: CsvRecord[];
  readonly errors: CsvError[];
}

const CANDIDATES = [',', ';', '\t'] as const;

/** Picks the delimiter that occurs most often on the first line (comma on a tie). */
export function detectDelimiter(text: string): string {
  const end = text.indexOf('\n');
  const first = end < 0 ? text : text.slice(0, end);
  let best = ',';
  let bestCount = 0;
  for (const candidate of CANDIDATES) {
    const count = first.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/** Reads a CSV text into records; blank lines are skipped. */
export function parseCsv(input: string, delimiter = detectDelimiter(input)): CsvTable {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const records: CsvRecord[] = [];
  const errors: CsvError[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const startLine = line;
    const startPos = i;
    const cells: string[] = [];
    let problem: string | null = null;
    let endOfRecord = false;
    while (!endOfRecord && problem === null) {
      let cell = '';
      if (text[i] === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const ch = text[i];
          if (ch === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (ch === '\n') line++;
          cell += ch;
          i++;
        }
        if (!closed) {
          problem = `unterminated quoted field (a '"' opened on line ${startLine} is never closed)`;
          break;
        }
        const next = text[i];
        if (next !== undefined && next !== delimiter && next !== '\n' && next !== '\r') {
          problem = `unexpected '${next}' after a closing quote (quotes inside a field must be doubled: "")`;
          break;
        }
      } else {
        while (i < n && text[i] !== delimiter && text[i] !== '\n') {
          cell += text[i];
          i++;
        }
        if (cell.endsWith('\r')) cell = cell.slice(0, -1);
      }
      cells.push(cell);
      if (text[i] === '\r') i++;
      if (i >= n) endOfRecord = true;
      else if (text[i] === delimiter) i++;
      else if (text[i] === '\n') {
        i++;
        line++;
        endOfRecord = true;
      }
    }
    if (problem !== null) {
      errors.push({ line: startLine, problem });
      // Resume at the physical line after the one the broken record started on.
      const nl = text.indexOf('\n', startPos);
      i = nl < 0 ? n : nl + 1;
      line = startLine + 1;
      continue;
    }
    if (cells.length === 1 && cells[0]?.trim() === '') continue;
    records.push({ line: startLine, cells });
  }
  return { delimiter, records, errors };
}
