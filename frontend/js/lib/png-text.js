// The text chunks of a PNG file (tEXt, and iTXt when not compressed), read with a DataView:
// ComfyUI (and this studio) write the API graph of a picture into a "prompt" chunk.

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** True when the bytes start with the PNG signature. */
export function isPng(buffer) {
  const bytes = new Uint8Array(buffer, 0, Math.min(8, buffer.byteLength));
  return bytes.length === 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** {keyword: text} of the PNG's tEXt (latin-1) and uncompressed iTXt (UTF-8) chunks. */
export function pngTextChunks(buffer) {
  if (!isPng(buffer)) throw new Error("not a PNG");
  const view = new DataView(buffer);
  const latin1 = new TextDecoder("latin1");
  const utf8 = new TextDecoder("utf-8");
  const texts = {};
  let at = 8;
  while (at + 12 <= view.byteLength) {
    const length = view.getUint32(at);
    const type = latin1.decode(new Uint8Array(buffer, at + 4, 4));
    const start = at + 8;
    if (start + length > view.byteLength) break; // a cut file: keep what was whole
    const data = new Uint8Array(buffer, start, length);
    const nul = data.indexOf(0);
    if (type === "tEXt" && nul > 0) {
      texts[latin1.decode(data.subarray(0, nul))] = latin1.decode(data.subarray(nul + 1));
    } else if (type === "iTXt" && nul > 0 && data[nul + 1] === 0) {
      // keyword \0 compression-flag method language \0 translated-keyword \0 text
      const language = data.indexOf(0, nul + 3);
      const translated = language < 0 ? -1 : data.indexOf(0, language + 1);
      if (translated >= 0) texts[latin1.decode(data.subarray(0, nul))] = utf8.decode(data.subarray(translated + 1));
    } else if (type === "IEND") break;
    at = start + length + 4; // + CRC
  }
  return texts;
}
