/**
 * out[key] = value as an own property whatever the key: a CSeq method token or a peer name may be
 * "__proto__", which plain assignment would take as the object's prototype.
 */
export const setKey = <T>(out: Record<string, T>, key: string, value: T): void => {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
};
