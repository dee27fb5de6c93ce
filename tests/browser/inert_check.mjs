// Checks server/http/dashboard/inert.js against the vectors the C++ side
// (common/inert_text.h) is tested with: the dashboard shows device text as
// mdefleetctl does. Run by ctest (dashboard_inert_js):
//   node tests/browser/inert_check.mjs <source dir>
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const root = process.argv[2] || path.resolve(import.meta.dirname, '../..');
const context = vm.createContext({});
vm.runInContext(
    fs.readFileSync(path.join(root, 'server/http/dashboard/inert.js'), 'utf8'),
    context);
const {inert} = context.mdefleetInert;
const vectors = JSON.parse(fs.readFileSync(
    path.join(root, 'tests/data/inert_text_vectors.json'), 'utf8'));

let failures = 0;
for (const v of vectors) {
  for (const [block, want] of [[false, v.line], [true, v.block]]) {
    const got = inert(v.in, block);
    if (got !== want) {
      failures++;
      console.error(`inert(${JSON.stringify(v.in)}, ${block}) = ` +
                    `${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
  }
}
// Lone UTF-16 surrogates (JavaScript's form of text that is not Unicode).
for (const [input, want] of [['x\ud800y', 'x\\ud800y'], ['\udc00', '\\udc00'],
                             ['\ud83d\ude80', '\ud83d\ude80']]) {
  const got = inert(input, false);
  if (got !== want) {
    failures++;
    console.error(`inert(${JSON.stringify(input)}) = ${JSON.stringify(got)}`);
  }
}
if (failures) {
  console.error(`${failures} mismatch(es)`);
  process.exit(1);
}
console.log(`inert.js matches ${vectors.length} shared vectors`);
