/** JSON Lines of `scan --json` with each file's `seconds` (the one field that differs from run to run) taken out. */
export const withoutSeconds = (jsonLines: string): unknown[] =>
  jsonLines
    .trim()
    .split('\n')
    .map((l) => {
      const { seconds: _seconds, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
