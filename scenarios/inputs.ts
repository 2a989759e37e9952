// Deterministic inputs for the scenarios: the same bytes on every machine and run.

/** xorshift32 bytes: incompressible-looking, reproducible file content. */
export function pseudoRandomBytes(size: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The paper's copy inputs (section 4.3): 80K, 925K and 2.28M. */
export const COPY_FILES: { label: string; bytes: number }[] = [
  { label: '80K', bytes: 80 * 1024 },
  { label: '925K', bytes: 925 * 1024 },
  { label: '2.28M', bytes: Math.round(2.28 * 1024 * 1024) },
];

/**
 * A video stream for the mpeg-style guest: `frames` frames whose data add up to `bytes`
 * (with each frame's 4-byte length), sized in a repeating I/P/B-like pattern.
 */
export function mpegStream(bytes: number, frames: number, seed: number): Uint8Array {
  const pattern = [3, 1, 1, 2, 1, 1]; // an I frame, then smaller P and B frames
  const weights = Array.from({ length: frames }, (_, i) => pattern[i % pattern.length]);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const payload = bytes - 4 * frames;
  const lengths = weights.map((w) => Math.floor((payload * w) / totalWeight));
  lengths[0] += payload - lengths.reduce((a, b) => a + b, 0);
  const data = pseudoRandomBytes(payload, seed);
  const out = new Uint8Array(bytes);
  const dv = new DataView(out.buffer);
  let at = 0, from = 0;
  for (const len of lengths) {
    dv.setUint32(at, len, true);
    out.set(data.subarray(from, from + len), at + 4);
    at += 4 + len;
    from += len;
  }
  return out;
}
