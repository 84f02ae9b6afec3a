import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseData, SseDecoder } from './sse-decoder.js';

describe('SseDecoder', () => {
  test('decodes messages split anywhere across chunks, with LF, CRLF and CR line ends', () => {
    const body = 'data: {"a":1}\n\nevent: tool\r\ndata: {"b":2}\r\n\r\ndata: x\r\rdata: last\n\n';
    for (let size = 1; size <= body.length; size++) {
      const decoder = new SseDecoder();
      const messages = [];
      for (let index = 0; index < body.length; index += size) messages.push(...decoder.push(body.slice(index, index + size)));
      assert.deepEqual(messages, [
        { event: 'message', data: '{"a":1}' },
        { event: 'tool', data: '{"b":2}' },
        { event: 'message', data: 'x' },
        { event: 'message', data: 'last' },
      ], `chunk size ${size}`);
    }
  });

  test('joins data lines, skips comments and fields it does not use, drops a message without its blank line', () => {
    const decoder = new SseDecoder();
    assert.deepEqual(decoder.push(': keep-alive\nid: 7\nretry: 10\ndata: one\ndata:two\n\ndata: unfinished'), [{ event: 'message', data: 'one\ntwo' }]);
    assert.deepEqual(decoder.push(''), []);
  });

  test('parseData gives JSON when it is JSON, else the text', () => {
    assert.deepEqual(parseData('{"x":[1]}'), { x: [1] });
    assert.equal(parseData('"quoted"'), 'quoted');
    assert.equal(parseData('plain words'), 'plain words');
  });
});
