import { describe, expect, it } from 'vitest';
import { parseRewrite, rewriteUrls } from './push-rewrite';

describe('--rewrite', () => {
  it('rewrites URLs that start a value, not substrings', () => {
    const rules = [parseRewrite('https://a.example/=https://cdn.example/')];
    expect(rewriteUrls('<img src="https://a.example/x.png" srcset="https://a.example/1x.png 1x,https://a.example/2x.png 2x">', rules)).toBe(
      '<img src="https://cdn.example/x.png" srcset="https://cdn.example/1x.png 1x,https://cdn.example/2x.png 2x">',
    );
    expect(rewriteUrls('url(https://a.example/f.woff2)', rules)).toBe('url(https://cdn.example/f.woff2)');
    expect(rewriteUrls('xhttps://a.example/x', rules)).toBe('xhttps://a.example/x');
    expect(() => parseRewrite('a=b')).toThrow(/absolute URLs/);
  });
});
