import { describe, expect, it } from 'vitest';
import { compileIgnore } from './push-ignore';

describe('.pushignore', () => {
  const ignored = compileIgnore('# c\n*.log\nbuild/\n/root.txt\ndocs/**/*.tmp\n!important.log\n');
  it('follows the gitignore subset', () => {
    expect(ignored('a/b/x.log', false)).toBe(true);
    expect(ignored('important.log', false)).toBe(false);
    expect(ignored('build', true)).toBe(true);
    expect(ignored('build', false)).toBe(false);
    expect(ignored('root.txt', false)).toBe(true);
    expect(ignored('sub/root.txt', false)).toBe(false);
    expect(ignored('docs/a/b/c.tmp', false)).toBe(true);
    expect(ignored('docs/c.tmp', false)).toBe(true);
    expect(ignored('other/c.tmp', false)).toBe(false);
  });
});

describe('.pushignore beyond the subset pushpull once had (gitignore semantics)', () => {
  it('supports character classes, escaped leading # and !, and trailing spaces', () => {
    const ignored = compileIgnore('*.[oa]\n\\#notes.txt\n\\!bang.txt\ntrailing.txt   \n');
    expect(ignored('lib/x.o', false)).toBe(true);
    expect(ignored('lib/x.a', false)).toBe(true);
    expect(ignored('lib/x.c', false)).toBe(false);
    expect(ignored('#notes.txt', false)).toBe(true);
    expect(ignored('!bang.txt', false)).toBe(true);
    expect(ignored('trailing.txt', false)).toBe(true);
  });

  it('a pattern with a slash in the middle is anchored to the folder root', () => {
    const ignored = compileIgnore('doc/frotz\n');
    expect(ignored('doc/frotz', false)).toBe(true);
    expect(ignored('a/doc/frotz', false)).toBe(false);
  });
});
