import { describe, expect, it } from 'vitest';
import { detectDelimiter, parseCsv } from '../../src/catalog/csv.ts';
import { withSince } from '../../src/catalog/fetch-catalog.ts';
import { capText, decodeEntities, toPlainText } from '../../src/catalog/sanitize.ts';

describe('parseCsv', () => {
  it('detects semicolons and tabs from the header line', () => {
    // Arrange / Act / Assert
    expect(detectDelimiter('id;title;price\n1;"a,b";3')).toBe(';');
    expect(detectDelimiter('id\ttitle\n1\tx')).toBe('\t');
    expect(detectDelimiter('id')).toBe(',');
  });

  it('keeps line numbers across quoted line breaks, CRLF and blank lines', () => {
    // Arrange
    const text = '\uFEFFid,title\r\n1,"two\r\nlines"\r\n\r\n2,x,\r\n';
    // Act
    const table = parseCsv(text);
    // Assert
    expect(table.errors).toEqual([]);
    expect(table.records).toEqual([
      { line: 1, cells: ['id', 'title'] },
      { line: 2, cells: ['1', 'two\r\nlines'] },
      { line: 5, cells: ['2', 'x', ''] },
    ]);
  });

  it('reports text after a closing quote and resumes on the next line', () => {
    // Arrange
    const text = 'a,b\n"x"y,1\n2,3\n';
    // Act
    const table = parseCsv(text);
    // Assert
    expect(table.errors).toEqual([
      { line: 2, problem: expect.stringMatching(/unexpected 'y' after a closing quote/) },
    ]);
    expect(table.records.map((r) => r.line)).toEqual([1, 3]);
  });
});

describe('sanitising helpers', () => {
  it('decodes numeric and named entities and leaves unknown ones', () => {
    // Arrange / Act / Assert
    expect(decodeEntities('&#65;&#x42;&amp;&eacute;&bogus;&#0;')).toBe('AB&é&bogus;\uFFFD');
  });

  it('never splits a surrogate pair when capping', () => {
    // Arrange
    const text = `ab${'😀'}`;
    // Act / Assert
    expect(capText(text, 3)).toBe('ab');
    expect(capText(text, 4)).toBe(text);
  });

  it('removes an unclosed tag to the end and keeps text that only looks like math', () => {
    // Arrange / Act / Assert
    expect(toPlainText('ok <img src=x onerror=alert(1)', { maxChars: 100 }).text).toBe('ok');
    expect(toPlainText('1 &lt; 2 and 3 > 2', { maxChars: 100 }).text).toBe('1 < 2 and 3 > 2');
  });
});

describe('withSince', () => {
  it('adds since to absolute and relative URLs, keeping other parameters', () => {
    // Arrange / Act / Assert
    expect(withSince('https://a.example/c?x=1', 'v 2')).toBe('https://a.example/c?x=1&since=v+2');
    expect(withSince('/v1/catalog', '7')).toBe('/v1/catalog?since=7');
    expect(withSince('/v1/catalog', null)).toBe('/v1/catalog');
  });
});
