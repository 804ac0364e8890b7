/** Seeded fuzzing of a sse server: connect queries and POST /messages bodies (fuzz-suite.ts). */
import { defineFuzzSuite } from './fuzz-suite.ts';

defineFuzzSuite('sse', ['connect', 'post-bodies']);
