import { contractSuite } from './contract-suite.ts';

contractSuite('long-poll');
