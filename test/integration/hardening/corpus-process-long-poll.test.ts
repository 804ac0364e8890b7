/** The bad-input corpus (corpus.ts) against a long-poll server in its own process, as the bench starts it. */
import { defineProcessCorpusTest } from './corpus-process.ts';

defineProcessCorpusTest('long-poll');
