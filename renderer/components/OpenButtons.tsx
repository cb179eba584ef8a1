// "Open file…" and "Open folder…": the file pickers behind them are real inputs (labelled, so
// tests and assistive technology can reach them) kept out of sight.
import { useEffect, useRef } from 'react';

import { filesFromList } from '../files/collect-dropped-files.js';
import { useStores } from '../state/store-context.js';

export function OpenButtons() {
  const { model } = useStores();
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // React has no typed prop for folder picking; the attribute is what browsers read.
    folderInput.current?.setAttribute('webkitdirectory', '');
  }, []);
  const onPicked = (input: HTMLInputElement) => {
    const files = input.files ? filesFromList(input.files) : [];
    input.value = ''; // picking the same file again must fire change again
    if (files.length > 0) void model.getState().loadFiles(files);
  };

  return (
    <div className="open-buttons">
      <button type="button" className="small-button" aria-label="Open checkpoint file" onClick={() => fileInput.current?.click()}>
        Open…
      </button>
      <button type="button" className="small-button" aria-label="Open checkpoint folder" onClick={() => folderInput.current?.click()}>
        Open folder…
      </button>
      <input ref={fileInput} className="hidden-input" type="file" accept=".safetensors,.gguf" aria-label="Checkpoint file" onChange={(e) => onPicked(e.currentTarget)} />
      <input ref={folderInput} className="hidden-input" type="file" multiple aria-label="Checkpoint folder" onChange={(e) => onPicked(e.currentTarget)} />
    </div>
  );
}
