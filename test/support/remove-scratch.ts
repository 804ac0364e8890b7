/** Vitest setup file: every test file removes its scratch files once its tests are done (test/support/scratch.ts). */
import { afterAll } from 'vitest';
import { removeScratch } from './scratch.ts';

afterAll(removeScratch);
