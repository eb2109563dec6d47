/**
 * `.pushignore`: which files of a folder the push client leaves out. A subset of
 * `.gitignore` syntax: one pattern a line, `#` comments, `!` re-includes, a trailing `/`
 * matches directories only, a leading (or inner) `/` anchors the pattern to the folder root,
 * `*` and `?` match within one name, `**` across directories. The last matching line wins.
 */

interface Rule { negate: boolean; dirOnly: boolean; regex: RegExp }

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` everything below.
        if (glob[i + 2] === '/') { out += '(?:.*/)?'; i += 2; } else { out += '.*'; i += 1; }
      } else {
        out += '[^/]*';
      }
    } else if (ch === '?') {
      out += '[^/]';
    } else {
      out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return out;
}

/** Compiles `.pushignore` text into a predicate on folder-relative paths (`a/b.txt`). */
export function compileIgnore(text: string): (relPath: string, isDir: boolean) => boolean {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    if (line === '') continue;
    const body = globToRegex(line);
    // Unanchored patterns match a name at any depth; a matched directory covers what is under it.
    rules.push({ negate, dirOnly, regex: new RegExp(`^${anchored ? '' : '(?:.*/)?'}${body}$`) });
  }
  return function isIgnored(relPath, isDir) {
    let ignored = false;
    for (const rule of rules) {
      if (rule.dirOnly && !isDir) continue;
      if (rule.regex.test(relPath)) ignored = !rule.negate;
    }
    return ignored;
  };
}
