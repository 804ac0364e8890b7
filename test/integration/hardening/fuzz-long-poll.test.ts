/** Seeded fuzzing of a long-poll server: connect queries and POST /messages bodies (fuzz-suite.ts). */
import { defineFuzzSuite } from './fuzz-suite.ts';

defineFuzzSuite('long-poll', ['connect', 'post-bodies']);
