import { isTimeZone } from './engine/time-zone.js';

/**
 * The IANA zone of the local times in each stored log: one for the deployment, and overrides by
 * key prefix for buckets that collect logs from sites in several zones (`pbx-berlin/` ->
 * `Europe/Berlin`). Logs rarely say their zone; the place they come from does.
 */
export interface LogTimeZones {
  /** Zone of keys no prefix names. @default 'UTC' */
  readonly defaultZone: string;
  /** Key prefix -> zone, longest prefix first (the most specific one wins). */
  readonly byPrefix: readonly (readonly [prefix: string, zone: string])[];
}

/** Every log in UTC. */
export const UTC_LOG_TIMES: LogTimeZones = { defaultZone: 'UTC', byPrefix: [] };

/** The zone of the object `key`. */
export const zoneForKey = (key: string, zones: LogTimeZones = UTC_LOG_TIMES): string => {
  for (const [prefix, zone] of zones.byPrefix) if (key.startsWith(prefix)) return zone;
  return zones.defaultZone;
};

/**
 * Reads the settings (a zone name, and an object of key prefix -> zone name); returns every
 * problem instead when one is not a zone the runtime knows.
 */
export const parseLogTimeZones = (
  defaultZone: string,
  byPrefix: unknown,
): { readonly zones: LogTimeZones } | { readonly problems: string[] } => {
  const problems: string[] = [];
  if (!isTimeZone(defaultZone))
    problems.push(`"${defaultZone}" is not an IANA time zone or UTC offset (e.g. Europe/Berlin, UTC, +05:30)`);
  const pairs: [string, string][] = [];
  if (typeof byPrefix !== 'object' || byPrefix === null || Array.isArray(byPrefix)) {
    problems.push('the zones by key prefix must be an object of key prefix -> IANA time zone');
  } else {
    for (const [prefix, zone] of Object.entries(byPrefix)) {
      if (prefix.length === 0) problems.push('a key prefix must not be empty');
      else if (typeof zone !== 'string' || !isTimeZone(zone))
        problems.push(`"${String(zone)}" (for key prefix "${prefix}") is not an IANA time zone or UTC offset`);
      else pairs.push([prefix, zone]);
    }
  }
  if (problems.length > 0) return { problems };
  pairs.sort((a, b) => b[0].length - a[0].length);
  return { zones: { defaultZone, byPrefix: pairs } };
};
