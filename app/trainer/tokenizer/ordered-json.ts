// JSON text that keeps the order we give. JSON.stringify moves integer-like keys ("7", "42") to the
// front of an object, which would scatter number tokens through the vocab; a Map keeps insertion
// order, so vocabularies are written as Maps and appear in id order, as tokenizer.json files do.

export type OrderedJson = null | boolean | number | string | OrderedJson[] | Map<string, OrderedJson> | { [key: string]: OrderedJson };

/** Indented by two spaces; empty lists and objects on one line. */
export function orderedJsonText(value: OrderedJson, indent = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + orderedJsonText(item, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${orderedJsonText(item, inner)}`).join(',\n')}\n${indent}}`;
}
