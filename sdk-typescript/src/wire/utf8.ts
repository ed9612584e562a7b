// UTF-8 routines the codec and the name rules share: strict decoding, well-formedness of
// JavaScript strings, byte lengths and code-point ordering.

// `fatal` rejects every ill-formed sequence (overlong forms, encoded surrogates, stray
// continuation bytes); `ignoreBOM` keeps a leading U+FEFF as content instead of dropping it.
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 bytes, or returns `undefined` when they are not valid UTF-8.
 *
 * @param bytes - the encoded string
 */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Whether a string is well-formed UTF-16, i.e. has no lone surrogate and so can be encoded as
 * valid UTF-8.
 *
 * @param text - the string to check
 */
export function isWellFormed(text: string): boolean {
  return !loneSurrogate.test(text);
}

/**
 * The length of a well-formed string in UTF-8 bytes, computed without encoding it.
 *
 * @param text - the string to measure
 */
export function utf8ByteLength(text: string): number {
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) {
      length += 1;
    } else if (unit < 0x800) {
      length += 2;
    } else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4;
        index++;
      } else {
        length += 3;
      }
    } else {
      length += 3;
    }
  }
  return length;
}

// Moves surrogates (U+D800-U+DFFF) above the rest of the Basic Multilingual Plane, so that
// comparing adjusted code units orders strings by code point, which is UTF-8 byte order.
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

/**
 * Compares two strings by Unicode code point, which orders them exactly as their UTF-8 bytes
 * (and unlike JavaScript's default UTF-16 order, which puts U+1F600 before U+FF61).
 *
 * @returns a negative number, zero or a positive number, like a sort comparator
 */
export function compareByCodePoint(a: string, b: string): number {
  const shorter = Math.min(a.length, b.length);
  for (let index = 0; index < shorter; index++) {
    const left = a.charCodeAt(index);
    const right = b.charCodeAt(index);
    if (left !== right) return codePointRank(left) - codePointRank(right);
  }
  return a.length - b.length;
}
