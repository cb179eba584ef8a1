// A labelled number input that accepts only values in range; while the user types something
// unfinished ("0.", "") it keeps the text and commits once the text is a valid number.
import { useEffect, useState } from 'react';

export interface NumberFieldProps {
  label: string;
  value: number | null;
  min: number;
  max: number;
  step: number;
  integer?: boolean;
  allowEmpty?: boolean; // empty means null (e.g. a random seed)
  placeholder?: string; // what empty means; default 'random'
  hint?: string;
  onChange(value: number | null): void;
}

export function NumberField({ label, value, min, max, step, integer, allowEmpty, placeholder, hint, onChange }: NumberFieldProps) {
  const [draft, setDraft] = useState(value === null ? '' : String(value));
  useEffect(() => setDraft(value === null ? '' : String(value)), [value]);
  const parse = (text: string): number | null | undefined => {
    if (text.trim() === '') return allowEmpty ? null : undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) return undefined;
    return n;
  };
  const invalid = parse(draft) === undefined;
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <input
        type="number"
        aria-label={label}
        aria-invalid={invalid || undefined}
        value={draft}
        min={min}
        max={max}
        step={step}
        placeholder={allowEmpty ? (placeholder ?? 'random') : undefined}
        onChange={(e) => {
          setDraft(e.target.value);
          const parsed = parse(e.target.value);
          if (parsed !== undefined) onChange(parsed);
        }}
        onBlur={() => setDraft(value === null ? '' : String(value))}
      />
      {hint && <span className="field-hint">{hint}</span>}
    </label>
  );
}
