// Device text made inert in the dashboard, by the rules of
// common/inert_text.h (InertText), so the page shows device-reported text
// exactly as mdefleetctl does. Loaded before app.js; defines
// window.mdefleetInert. tests/data/inert_text_vectors.json is checked
// against both implementations (common_test and dashboard_inert_js).
//
// inert(text, block): C0 controls and DEL show as "\n", "\r", "\t" or
// "\x1b"; C1 controls, U+2028/U+2029, bidi embeddings, overrides, isolates
// and marks (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) and lone
// surrogates (the UTF-16 form of what the C++ side shows byte per byte) as
// "\u202e". With `block` (a step's output tail in a <pre>) LF and TAB stay
// and CR LF becomes LF; a lone CR is still escaped. Nothing else changes.
'use strict';

(() => {
  const INERT_RE = new RegExp(
      '[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069' +
      '\u200e\u200f\u061c]|[\ud800-\udbff](?![\udc00-\udfff])|' +
      '(?<![\ud800-\udbff])[\udc00-\udfff]', 'g');
  const hex = (n, width) => n.toString(16).padStart(width, '0');

  function inert(text, block) {
    let s = String(text);
    if (block) s = s.replace(/\r\n/g, '\n');
    return s.replace(INERT_RE, (c) => {
      if (block && (c === '\n' || c === '\t')) return c;
      if (c === '\n') return '\\n';
      if (c === '\r') return '\\r';
      if (c === '\t') return '\\t';
      const code = c.charCodeAt(0);
      if (code < 0x20 || code === 0x7f) return '\\x' + hex(code, 2);
      return '\\u' + hex(code, 4);
    });
  }

  globalThis.mdefleetInert = Object.freeze({inert});
})();
