// Session and user ids of a span: the attribute names the user configured first, then the known names
// of each convention (keys.ts), looked up in the span's own attributes before its resource (a value set
// on the call is more specific than one set for the whole process).

import type { Attributes } from '../records';
import { SessionKeys, UserKeys } from './keys';
import { asString } from './values';

export interface DimensionKeys {
  session: readonly string[];
  user: readonly string[];
}

export function dimensionKeys(
  sessionAttributes: readonly string[] = [],
  userAttributes: readonly string[] = [],
): DimensionKeys {
  return {
    session: dedupe([...clean(sessionAttributes), ...SessionKeys]),
    user: dedupe([...clean(userAttributes), ...UserKeys]),
  };
}

export function readDimension(
  attrs: Attributes,
  resource: Attributes,
  keys: readonly string[],
): string | undefined {
  return lookup(attrs, keys) ?? lookup(resource, keys);
}

function lookup(attrs: Attributes, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const s = asString(attrs[k]);
    if (s !== undefined) {
      const t = s.trim();
      if (t) return t;
    }
  }
  return undefined;
}

function clean(names: readonly string[]): string[] {
  return names.map((n) => (typeof n === 'string' ? n.trim() : '')).filter((n) => n.length > 0);
}

function dedupe(names: string[]): string[] {
  return [...new Set(names)];
}
