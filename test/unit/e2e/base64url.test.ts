import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64url, toBase64url } from '../../../src/e2e/base64url.js';

describe('base64url', () => {
  it('matches Node for any bytes, and reads back what it wrote', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = toBase64url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64url(text)).toEqual(bytes);
      }),
    );
  });

  it('refuses what is not canonical unpadded base64url', () => {
    for (const bad of ['a', 'ab=', 'a+b/', 'ab c', 'AB']) expect(fromBase64url(bad), bad).toBeUndefined(); // 'AB': leftover bits set
    expect(fromBase64url('AA')).toEqual(new Uint8Array([0]));
  });
});
