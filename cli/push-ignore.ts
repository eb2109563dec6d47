/**
 * `.pushignore`: which files of a folder the push client leaves out, in `.gitignore` syntax and
 * semantics (git-scm.com/docs/gitignore), as implemented by the `ignore` package (the matcher
 * eslint and prettier use for their ignore files). Paths are relative to the pushed folder;
 * a directory that is ignored is not entered, so (as in git) a `!` line cannot re-include a file
 * below an ignored directory.
 */
import ignore from 'ignore';

/** Compiles `.pushignore` text into a predicate on folder-relative paths (`a/b.txt`). */
export function compileIgnore(text: string): (relPath: string, isDir: boolean) => boolean {
  const rules = ignore().add(text);
  return function isIgnored(relPath, isDir) {
    return rules.ignores(isDir ? `${relPath}/` : relPath);
  };
}
