/** Doubles a typed array's length until it holds `need` elements (the new part filled with `fill`). */
export const grown = <T extends Float64Array | Int32Array>(a: T, need: number, fill: number): T => {
  if (need <= a.length) return a;
  let n = a.length;
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  b.fill(fill, a.length);
  return b;
};
