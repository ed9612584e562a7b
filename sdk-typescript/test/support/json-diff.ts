// A structural comparison of JSON values that lists every difference instead of stopping at
// the first, so a check can report what it found rather than throw.

import type { Json } from "./vector-files.js";

function preview(value: Json | undefined): string {
  if (value === undefined) return "(missing)";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/**
 * The differences between two JSON values, each as "path: expected …, got …". Object keys are
 * compared as own keys, so a key such as "__proto__" is an ordinary key.
 */
export function diffJson(expected: Json | undefined, actual: Json | undefined, path = "$"): string[] {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const differences: string[] = [];
    if (expected.length !== actual.length) {
      differences.push(`${path}: expected ${expected.length} elements, got ${actual.length}`);
    }
    const shorter = Math.min(expected.length, actual.length);
    for (let index = 0; index < shorter; index++) {
      differences.push(...diffJson(expected[index], actual[index], `${path}[${index}]`));
    }
    return differences;
  }
  const isObject = (value: Json | undefined): value is { [key: string]: Json } =>
    typeof value === "object" && value !== null && !Array.isArray(value);
  if (isObject(expected) && isObject(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    const differences: string[] = [];
    for (const key of [...keys].sort()) {
      const expectedValue = Object.hasOwn(expected, key) ? expected[key] : undefined;
      const actualValue = Object.hasOwn(actual, key) ? actual[key] : undefined;
      differences.push(...diffJson(expectedValue, actualValue, `${path}.${key}`));
    }
    return differences;
  }
  if (Object.is(expected, actual)) return [];
  return [`${path}: expected ${preview(expected)}, got ${preview(actual)}`];
}
