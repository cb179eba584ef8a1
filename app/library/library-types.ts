// One model of the library as the UI shows it, without loading it again. Plain data, shared with
// the renderer through type-only imports.
export interface LibraryEntry {
  id: string; // stable per path: usable in a URL
  path: string;
  name: string;
  bytes: number; // the checkpoint's mapped size
  modelType: string;
  kvSharing: boolean; // CoLM-Air
  chainRatios: number[];
  chainCount: number;
  parameters: number[]; // [k-1]: parameters of the sub-model with k chains
  lastLoadedAt: number; // ms since the epoch
}
