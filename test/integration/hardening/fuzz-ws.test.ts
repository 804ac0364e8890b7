/** Seeded fuzzing of a ws server: connect queries, and frames after a welcome or a refusal (fuzz-suite.ts). */
import { defineFuzzSuite } from './fuzz-suite.ts';

defineFuzzSuite('ws', ['connect', 'ws-frames']);
