// Small type guards for values that came out of JSON.parse (or from a caller that promises nothing).

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON.stringify for an error message, safe for any value (NaN, BigInt, cycles, huge strings). */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === 'number') text = String(value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}

/** Looks a key up without walking the prototype chain (a config with "toString" is just data). */
export function ownValue(object: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}
