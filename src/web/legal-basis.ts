import type { FastifyInstance } from 'fastify';
import type { RulebookService } from '../modules/rulebook/rulebook-service';

/** The instruments the rulebook in force names (its `sources`), for the footer of every page. */
export interface LegalBasisModel {
  version: string;
  effectiveFrom: string;
  instruments: ReadonlyArray<{ citation: string; title: string; verified: boolean }>;
}

declare module 'fastify' {
  interface FastifyRequest {
    legalBasis?: LegalBasisModel;
  }
}

/**
 * Every page of `app` learns the rulebook in force before its handler runs, so the footer cites
 * the law from the rulebook data (no hard-coded instrument). The rulebook service caches which
 * version is in force for a minute and every version for ever: no query on most requests.
 */
export function registerLegalBasis(app: FastifyInstance, deps: { rulebooks: RulebookService; clock: () => Date }): void {
  app.addHook('preHandler', async (request) => {
    try {
      const rb = await deps.rulebooks.inForce(deps.clock());
      request.legalBasis = {
        version: rb.version,
        effectiveFrom: rb.effectiveFrom,
        instruments: rb.content.sources.map((s) => ({ citation: s.citation, title: s.title, verified: s.verified })),
      };
    } catch (err) {
      // A footer never fails a page (the database may be down for a moment): the page says less.
      request.log.warn({ err }, 'the rulebook in force could not be read for the footer');
    }
  });
}
