// Seeded normal numbers for the new chain's weights. Each tensor gets its own stream, derived from
// the seed and the tensor's name, so a tensor's values do not depend on the order tensors are built
// in: the same seed always gives the same file, and reordering the code cannot change a checkpoint.

/** FNV-1a over the seed's two 32-bit halves and the name's UTF-16 code units. */
function streamKey(seed: number, name: string): number {
  let hash = 0x811c9dc5;
  const mix = (value: number): void => {
    hash = Math.imul(hash ^ (value & 0xffff), 0x01000193);
    hash = Math.imul(hash ^ (value >>> 16), 0x01000193);
  };
  mix(seed >>> 0);
  mix(Math.floor(seed / 2 ** 32) >>> 0);
  for (let i = 0; i < name.length; i++) mix(name.charCodeAt(i));
  return hash >>> 0;
}

export class SeededNormal {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number, name: string) {
    this.state = streamKey(seed, name);
  }

  /** splitmix32: one well-mixed 32-bit word per step. */
  private nextWord(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in (0, 1), never 0, so the logarithm below is always finite. */
  private uniform(): number {
    return (this.nextWord() + 0.5) / 2 ** 32;
  }

  /** A standard normal number (Box-Muller, both values of each pair used). */
  next(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** `count` normal numbers with standard deviation `std`. */
  fill(count: number, std: number): Float32Array {
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = this.next() * std;
    return values;
  }
}
