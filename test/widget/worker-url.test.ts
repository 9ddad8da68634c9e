import { describe, expect, it } from 'vitest';
import { workerUrl } from '../../src/widget/worker-client.ts';

describe('workerUrl', () => {
  it('passes models, wasm and server to the worker as absolute URLs and keeps other parameters', () => {
    // Arrange
    const base = 'https://shop.example/books/page.html';
    // Act
    const url = workerUrl(
      '/assets/engine.js?db=hearth-test',
      { models: 'm/', wasm: '/ort/', server: 'https://api.example' },
      base,
    );
    // Assert
    expect(url.origin + url.pathname).toBe('https://shop.example/assets/engine.js');
    expect(url.searchParams.get('db')).toBe('hearth-test');
    expect(url.searchParams.get('models')).toBe('https://shop.example/books/m/');
    expect(url.searchParams.get('wasm')).toBe('https://shop.example/ort/');
    expect(url.searchParams.get('server')).toBe('https://api.example/');
  });

  it('passes the helper to the worker as an absolute URL', () => {
    const url = workerUrl(
      '/w.js',
      { server: '/', helper: 'https://helper.example/dap' },
      'https://shop.example/',
    );
    expect(url.searchParams.get('helper')).toBe('https://helper.example/dap');
  });

  it('adds nothing when the options are not given (the worker uses its defaults)', () => {
    // Act
    const url = workerUrl('https://cdn.example/w.js', {}, 'https://shop.example/');
    // Assert
    expect(url.href).toBe('https://cdn.example/w.js');
  });
});
