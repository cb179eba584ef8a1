// GPT-2's byte-level alphabet (bytes_to_unicode): each of the 256 byte values gets one visible
// character, so that a token's bytes can be written as a JSON string in tokenizer.json and a space
// shows as "Ġ", a newline as "Ċ". Printable Latin-1 bytes stand for themselves; the 68 others
// (controls, space, 0x7F-0xA0, 0xAD) take U+0100.. in byte order. Readers of tokenizer.json
// rebuild the same table, so it must match GPT-2's exactly.

function buildByteToChar(): string[] {
  const table = new Array<string>(256);
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
    table[byte] = String.fromCharCode(printable ? byte : 256 + shifted++);
  }
  return table;
}

/** BYTE_TO_CHAR[b] is the one-character piece for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** The byte-level piece for these bytes: one character per byte. */
export function byteLevelPiece(bytes: Uint8Array): string {
  let piece = '';
  for (const byte of bytes) piece += BYTE_TO_CHAR[byte];
  return piece;
}
