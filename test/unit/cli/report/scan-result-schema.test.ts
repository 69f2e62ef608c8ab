import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanResultJsonSchema } from '../../../../lambda/cli/report/scan-result-schema.js';

describe('schema/scan-result.schema.json', () => {
  it('is the JSON Schema generated from the zod schema (run `npm run schema` after changing it)', () => {
    // Prepare
    const checkedIn: unknown = JSON.parse(
      readFileSync(new URL('../../../../schema/scan-result.schema.json', import.meta.url), 'utf8'),
    );

    // Act
    const generated = scanResultJsonSchema();

    // Assess
    expect(checkedIn).toEqual(generated);
  });

  it('closes every object to keys it does not name and offers the three kinds of line', () => {
    // Act
    const schema = scanResultJsonSchema() as { anyOf: { required: string[]; additionalProperties: boolean }[] };

    // Assess
    expect(schema.anyOf.map((s) => [s.required, s.additionalProperties])).toEqual([
      [
        [
          'file',
          'formats',
          'bytes',
          'messages',
          'requests',
          'responses',
          'accountedResponses',
          'byClass',
          'byCode',
          'byMethod',
          'retransmissions',
          'anomalies',
          'unrecognizedBytes',
          'timedResponses',
          'byPeer',
          'seconds',
          'kpis',
        ],
        false,
      ],
      [['file', 'error'], false],
      [['file', 'skipped'], false],
    ]);
  });
});
