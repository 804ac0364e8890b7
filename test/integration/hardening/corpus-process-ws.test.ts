/** The bad-input corpus (corpus.ts) against a ws server in its own process, as the bench starts it. */
import { defineProcessCorpusTest } from './corpus-process.ts';

defineProcessCorpusTest('ws');
