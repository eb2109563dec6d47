import { describe, expect, it } from 'vitest';
import { contentTypeFor, UNKNOWN_CONTENT_TYPE, withCharset } from './content-type';

describe('contentTypeFor', () => {
  it('gives the types the origin, the push API and the push client used to disagree on', () => {
    expect(contentTypeFor('/data.json')).toBe('application/json; charset=utf-8');
    expect(contentTypeFor('/README.md')).toBe('text/markdown; charset=utf-8');
    expect(contentTypeFor('/table.csv')).toBe('text/csv; charset=utf-8');
    expect(contentTypeFor('/font.ttf')).toBe('font/ttf');
  });

  it('keeps the types the origin serves today', () => {
    const today: Record<string, string> = {
      'a.html': 'text/html; charset=utf-8',
      'a.htm': 'text/html; charset=utf-8',
      'a.css': 'text/css; charset=utf-8',
      'a.js': 'text/javascript; charset=utf-8',
      'a.mjs': 'text/javascript; charset=utf-8',
      'a.map': 'application/json; charset=utf-8',
      'a.webmanifest': 'application/manifest+json; charset=utf-8',
      'a.txt': 'text/plain; charset=utf-8',
      'a.xml': 'application/xml; charset=utf-8',
      'a.svg': 'image/svg+xml',
      'a.png': 'image/png',
      'a.jpg': 'image/jpeg',
      'a.jpeg': 'image/jpeg',
      'a.gif': 'image/gif',
      'a.webp': 'image/webp',
      'a.avif': 'image/avif',
      'a.ico': 'image/x-icon',
      'a.woff': 'font/woff',
      'a.woff2': 'font/woff2',
      'a.otf': 'font/otf',
      'a.wasm': 'application/wasm',
      'a.pdf': 'application/pdf',
      'a.zip': 'application/zip',
      'a.gz': 'application/gzip',
      'a.mp3': 'audio/mpeg',
      'a.mp4': 'video/mp4',
      'a.webm': 'video/webm',
    };
    for (const [name, type] of Object.entries(today)) expect(contentTypeFor(`/x/${name}`), name).toBe(type);
  });

  it('reads the last extension of the file name only, case-insensitively', () => {
    expect(contentTypeFor('/a/INDEX.HTML')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('/a/site.tar.gz')).toBe('application/gzip');
    expect(contentTypeFor('/a.json/file')).toBe(UNKNOWN_CONTENT_TYPE);
    expect(contentTypeFor('/a/Makefile')).toBe(UNKNOWN_CONTENT_TYPE);
    expect(contentTypeFor('/a/file.unknownext')).toBe(UNKNOWN_CONTENT_TYPE);
    expect(contentTypeFor('/a/.env')).toBe(UNKNOWN_CONTENT_TYPE);
  });
});

describe('withCharset', () => {
  it('marks text, JSON, XML and JavaScript as UTF-8 and leaves binary types alone', () => {
    expect(withCharset('text/plain')).toBe('text/plain; charset=utf-8');
    expect(withCharset('application/ld+json')).toBe('application/ld+json; charset=utf-8');
    expect(withCharset('application/xhtml+xml')).toBe('application/xhtml+xml; charset=utf-8');
    expect(withCharset('image/svg+xml')).toBe('image/svg+xml');
    expect(withCharset('application/octet-stream')).toBe('application/octet-stream');
  });
});
