/** The bad-input corpus (corpus.ts) against in-process ws servers: one test per probe. */
import { defineCorpusSuite } from './corpus-suite.ts';

defineCorpusSuite('ws');
