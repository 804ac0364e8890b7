import { describe } from 'vitest';
import { quickProfileSuite } from './quick-profile.ts';

describe('bench quick profile', () => quickProfileSuite('ws'));
