import { describe, expect, it } from 'vitest';
import { contentTypeFor } from './content-type';

describe('contentTypeFor', () => {
  it('answers what a browser expects for the common web types', () => {
    const types: Record<string, string> = {
      'index.html': 'text/html; charset=utf-8',
      'a/b/site.css': 'text/css; charset=utf-8',
      '/assets/app.72fa0079.js': 'text/javascript; charset=utf-8',
      'module.mjs': 'text/javascript; charset=utf-8',
      'data.json': 'application/json',
      'logo.svg': 'image/svg+xml; charset=utf-8',
      'photo.JPG': 'image/jpeg',
      'font.woff2': 'font/woff2',
      'app.wasm': 'application/wasm',
      'notes.md': 'text/markdown; charset=utf-8',
    };
    for (const [path, type] of Object.entries(types)) expect(contentTypeFor(path), path).toBe(type);
  });

  it('falls back to application/octet-stream for unknown or missing extensions', () => {
    expect(contentTypeFor('blob.bin')).toBe('application/octet-stream');
    expect(contentTypeFor('archive.unknownext')).toBe('application/octet-stream');
    expect(contentTypeFor('Makefile')).toBe('application/octet-stream');
    expect(contentTypeFor('dir.d/README')).toBe('application/octet-stream');
  });

  it('reads the last extension of the file name only, case-insensitively', () => {
    expect(contentTypeFor('/a/INDEX.HTML')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('/a/site.tar.gz')).toBe('application/gzip');
    expect(contentTypeFor('/a.json/file')).toBe('application/octet-stream');
    expect(contentTypeFor('/a/.env')).toBe('application/octet-stream');
  });

  it('gives the types the origin, the push API and the push client used to disagree on (issue 13)', () => {
    expect(contentTypeFor('/data.json')).toBe('application/json');
    expect(contentTypeFor('/README.md')).toBe('text/markdown; charset=utf-8');
    expect(contentTypeFor('/README.markdown')).toBe('text/markdown; charset=utf-8');
    expect(contentTypeFor('/table.csv')).toBe('text/csv; charset=utf-8');
    expect(contentTypeFor('/font.ttf')).toBe('font/ttf');
  });
});
