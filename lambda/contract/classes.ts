/** Response classes of RFC 3261 §7.2 (and §21): the `Class` dimension, the tally keys and the report columns. */
export type ResponseClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | '6xx';

/** Every response class, in order. */
export const RESPONSE_CLASSES: readonly ResponseClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'];

/**
 * Status code -> response class (RFC 3261 §7.2: the first digit defines the class).
 * Returns null for codes outside 100..699, which RFC 3261 §21 leaves undefined.
 */
export const classifyStatusCode = (code: number): ResponseClass | null => {
  if (!Number.isInteger(code) || code < 100 || code > 699) return null;
  // RESPONSE_CLASSES is in order: 1xx at index 0
  return RESPONSE_CLASSES[Math.floor(code / 100) - 1] ?? null;
};

/** A status code as the tally keys it (three digits, `"503"`) -> its class; null for anything else. */
export const classifyStatusText = (code: string): ResponseClass | null =>
  /^\d{3}$/.test(code) ? classifyStatusCode(Number(code)) : null;

/** A count of zero for each class: the start of every per-class tally. */
export const zeroClassCounts = (): Record<ResponseClass, number> => ({
  '1xx': 0,
  '2xx': 0,
  '3xx': 0,
  '4xx': 0,
  '5xx': 0,
  '6xx': 0,
});

/** Human label of each class, as the RFC names them. */
export const CLASS_LABELS: Readonly<Record<ResponseClass, string>> = {
  '1xx': 'provisional',
  '2xx': 'success',
  '3xx': 'redirection',
  '4xx': 'client error',
  '5xx': 'server error',
  '6xx': 'global failure',
};
