/**
 * `jsonErrorAt`: where JSON text stops being JSON, for the messages V8 gives without a position;
 * null for JSON (agreeing with JSON.parse).
 */
import { jsonErrorAt } from '../src/snapfile.js';

test.each([
  ['{"a": [1, 2, {"b": null}], "c": "x\\u00e9"}', null],
  ['[]', null],
  ['{}', null],
  ['[1, 2,]', 6], // the ']' where a value must be
  ['{"a": 1,}', 8], // the '}' where a key must be
  ['{"a" 1}', 5], // no ':'
  ['{"a": 1 "b": 2}', 8], // no ','
  ['[1 2]', 3],
  ['[tru]', 1],
  ['{"a": "\\x"}', 8], // a bad escape
  ['{"a": 1}}', 8], // trailing text
  ['[[[', 3], // the end
])('%j stops being JSON at %p', (text, at) => {
  expect(jsonErrorAt(text)).toBe(at);
  let parses = true;
  try {
    JSON.parse(text);
  } catch {
    parses = false;
  }
  expect(parses).toBe(at === null);
});
