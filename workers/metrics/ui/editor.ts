/**
 * The PromQL editor: CodeMirror 6 with Prometheus's own language package
 * (@prometheus-io/codemirror-promql): highlighting, linting, and completion of functions,
 * keywords, metric names and label names/values read from the store through /api/v1/labels,
 * /label/<name>/values and /series. Enter runs the query, Shift+Enter adds a line.
 * A server-side parse error is marked at its position.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, insertNewline } from '@codemirror/commands';
import { bracketMatching, HighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { lintKeymap } from '@codemirror/lint';
import { EditorState, StateEffect, StateField, type Extension } from '@codemirror/state';
import { Decoration, type DecorationSet, EditorView, highlightSpecialChars, keymap, placeholder } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { PromQLExtension } from '@prometheus-io/codemirror-promql';

/** Colours close to Prometheus's UI. */
const promqlHighlight = HighlightStyle.define([
  { tag: tags.number, color: '#09885a' },
  { tag: tags.string, color: '#a31515' },
  { tag: tags.keyword, color: '#008080', fontWeight: 'bold' },
  { tag: tags.function(tags.variableName), color: '#008080', fontWeight: 'bold' },
  { tag: tags.labelName, color: '#800000' },
  { tag: tags.operator, color: '#af00db' },
  { tag: tags.modifier, color: '#af00db' },
  { tag: tags.paren, color: '#333' },
  { tag: tags.squareBracket, color: '#333' },
  { tag: tags.brace, color: '#333' },
  { tag: tags.invalid, color: 'red' },
  { tag: tags.comment, color: '#888', fontStyle: 'italic' },
]);

/**
 * Prometheus's HTTP client asks /api/v1/status/flags too; the metrics Worker does not answer it
 * (it has no command-line flags), so it is answered here with empty data instead of a 404 logged on
 * every completion. /api/v1/metadata goes to the Worker: completions show each metric's type and help.
 */
const storeFetch = (input: RequestInfo, init?: RequestInit): Promise<Response> => {
  const url = typeof input === 'string' ? input : input.url;
  if (/\/api\/v1\/status\/flags(\?|$)/.test(url)) {
    return Promise.resolve(new Response('{"status":"success","data":{}}', { headers: { 'content-type': 'application/json' } }));
  }
  return fetch(input, init);
};

const setErrorMark = StateEffect.define<{ from: number; to: number } | null>();
const errorMark = Decoration.mark({ class: 'cm-server-error' });

/** The decoration of the last server-side error's position, cleared by any edit. */
const errorMarkField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    let next = tr.docChanged ? Decoration.none : marks.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setErrorMark)) continue;
      next = e.value === null || e.value.from >= e.value.to ? Decoration.none : Decoration.set([errorMark.range(e.value.from, e.value.to)]);
    }
    return next;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** One editor on the page. */
export interface QueryEditor {
  view: EditorView;
  value(): string;
  /** Marks the character at `offset` (a server parse error's position); null clears. */
  markError(offset: number | null): void;
}

/** Prometheus-style completion for every editor on the page (one client, shared cache). */
const completion = new PromQLExtension().setComplete({
  remote: { url: '', httpMethod: 'POST', lookbackInterval: 12 * 3_600_000, fetchFn: storeFetch },
});

/** Creates an editor in `parent` holding `doc`; `onRun` is called on Enter. */
export function createEditor(parent: HTMLElement, doc: string, onRun: () => void, onChange: () => void): QueryEditor {
  const run = (): boolean => {
    onRun();
    return true;
  };
  const extensions: Extension[] = [
    highlightSpecialChars(),
    history(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ activateOnTyping: true }),
    syntaxHighlighting(promqlHighlight),
    placeholder('Expression (press Enter to run, Shift+Enter for a new line)'),
    EditorView.lineWrapping,
    completion.asExtension(),
    errorMarkField,
    keymap.of([
      ...closeBracketsKeymap,
      ...completionKeymap,
      { key: 'Enter', run },
      { key: 'Shift-Enter', run: insertNewline },
      ...historyKeymap,
      ...defaultKeymap,
      ...lintKeymap,
    ]),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) onChange();
    }),
  ];
  const view = new EditorView({ state: EditorState.create({ doc, extensions }), parent });
  return {
    view,
    value: () => view.state.doc.toString(),
    markError(offset) {
      if (offset === null) {
        view.dispatch({ effects: setErrorMark.of(null) });
        return;
      }
      const len = view.state.doc.length;
      const from = Math.min(Math.max(offset, 0), Math.max(len - 1, 0));
      view.dispatch({ effects: setErrorMark.of({ from, to: Math.min(from + 1, len) }) });
    },
  };
}
