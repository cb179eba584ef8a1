// node dist/bench/make-model.js NAME DTYPE: writes one synthetic bench model and prints its path.
import type { DType } from '../app/checkpoint/types.js';
import { AIR4_500M, DENSE_130M, DENSE_1B, syntheticModel } from './synthetic-models.js';

const shapes = { 'dense-130m': DENSE_130M, 'dense-1b': DENSE_1B, 'air4-500m': AIR4_500M };
const [name, dtype] = process.argv.slice(2) as [keyof typeof shapes, DType];
console.log(await syntheticModel(shapes[name], dtype ?? 'BF16', (s) => console.error(s)));
