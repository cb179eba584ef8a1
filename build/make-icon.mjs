// Draws build/icon.png (512x512), the app icon electron-builder turns into each platform's
// format: a dark rounded square with four stacked bars, one per chain, each as wide as the model
// is at that chain count and colored like the chain strip under a reply (cyan: few chains,
// orange: all). Plain Node: pixels are computed here and written as a PNG with zlib.
// Run: node build/make-icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 512;

/** hsl(h, s%, l%) -> [r, g, b] in 0..255, as CSS computes it. */
function hsl(h, s, l) {
  const a = s * Math.min(l, 1 - l);
  const f = (n) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** Coverage of pixel (x, y) by a rounded rectangle, with a one-pixel soft edge. */
function roundRect(x, y, left, top, right, bottom, radius) {
  const cx = Math.max(left + radius, Math.min(x, right - radius));
  const cy = Math.max(top + radius, Math.min(y, bottom - radius));
  const d = Math.hypot(x - cx, y - cy) - radius;
  return Math.max(0, Math.min(1, 0.5 - d));
}

const pixels = Buffer.alloc(SIZE * SIZE * 4);
const bars = [0.25, 0.5, 0.75, 1].map((width, i) => ({ width, color: hsl(195 - (i / 3) * 170, 0.72, 0.5) }));
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    const px = x + 0.5;
    const py = y + 0.5;
    const plate = roundRect(px, py, 16, 16, SIZE - 16, SIZE - 16, 96);
    // A slight vertical gradient on the plate.
    let rgb = [24 + (py / SIZE) * 10, 27 + (py / SIZE) * 10, 34 + (py / SIZE) * 14];
    bars.forEach((bar, i) => {
      const top = 120 + i * 72;
      const cover = roundRect(px, py, 96, top, 96 + 320 * bar.width, top + 48, 14);
      rgb = rgb.map((c, j) => c * (1 - cover) + bar.color[j] * cover);
    });
    const o = (y * SIZE + x) * 4;
    pixels[o] = Math.round(rgb[0]);
    pixels[o + 1] = Math.round(rgb[1]);
    pixels[o + 2] = Math.round(rgb[2]);
    pixels[o + 3] = Math.round(255 * plate);
  }
}

// --- PNG: signature, IHDR, one IDAT of filtered rows (filter 0), IEND ---------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bits per channel
header[9] = 6; // RGBA
const rows = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) pixels.copy(rows, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4);

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(rows, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = new URL('./icon.png', import.meta.url);
writeFileSync(out, png);
console.log(`wrote ${out.pathname} (${png.length} bytes)`);
