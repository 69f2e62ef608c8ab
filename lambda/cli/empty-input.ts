import type { FileInput } from './file-source.js';

/**
 * The input, or 'empty' when it holds no byte at all. The Lambda skips a zero-byte object (S3 reports its size in
 * the event) without a failure; the CLI does the same for an empty file, S3 object or standard input, so that the
 * same input gets the same verdict everywhere. Standard input has no size: its first chunk is read here and put
 * back in front of the rest.
 */
export const emptyOr = async (input: FileInput): Promise<FileInput | 'empty'> => {
  if (input.size !== undefined) return input.size === 0 ? 'empty' : input;
  const it = input.chunks()[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && first.value.length === 0) first = await it.next();
  if (first.done) return 'empty';
  const head = first.value;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  let used = false;
  return {
    ...input,
    chunks: () => {
      // standard input can be read once: a second reader would silently get nothing
      if (used) throw new Error(`${input.name}: read twice`);
      used = true;
      return chunks();
    },
  };
};
