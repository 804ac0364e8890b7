/** The bad-input corpus (corpus.ts) against in-process long-poll servers: one test per probe. */
import { defineCorpusSuite } from './corpus-suite.ts';

defineCorpusSuite('long-poll');
