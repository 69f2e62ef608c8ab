import { describe, expect, it } from 'vitest';
import { corpusFiles, expectedFor, normaliseByMethod, scanCorpusFile } from '../support/corpus.js';

// Every file of the shared corpus against tshark's ground truth. Never edit an expected file.
describe('shared corpus', () => {
  for (const file of corpusFiles()) {
    it(`counts ${file} exactly as tshark does`, async () => {
      // Prepare
      const expected = expectedFor(file);

      // Act
      const r = await scanCorpusFile(file);

      // Assess
      expect(r.byClass).toEqual(expected.responses_by_class);
      expect(r.byCode).toEqual(expected.responses_by_code);
      expect(normaliseByMethod(r.byMethod)).toEqual(normaliseByMethod(expected.responses_by_method));
      expect(r.responses).toBe(expected.responses);
      if (expected.messages !== null) expect(r.messages).toBe(expected.messages);
      if (expected.requests !== undefined) expect(r.requests).toBe(expected.requests);
      if (expected.retransmissions) {
        expect(r.retransmissions).toEqual({
          requests: expected.retransmissions.requests,
          responses: expected.retransmissions.responses,
        });
      }
    });
  }
});
