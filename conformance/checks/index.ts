/** Every check, in the order they run: the endpoints first, then delivery, membership, resume, auth, refusals, back-pressure, counters. */
import type { Check } from '../check.ts';
import { controlCallsClosed, noReconnectAfterRefusal, tokenRequired } from './auth.ts';
import { pollBatchBound, slowConsumerCut } from './back-pressure.ts';
import { badInput } from './bad-input.ts';
import { channelLimit, chatMembers, joinLeave, pollNoMembership } from './chat.ts';
import { counters, healthAndStats, processCost } from './endpoints.ts';
import { feedFanOut, feedRate } from './feed.ts';
import { refusedConnects } from './refusals.ts';
import { streamKey } from './stream-key.ts';
import { dropLikeANetworkFailure, resumeAfterDrop, resumeFarBack } from './resume.ts';

export const CHECKS: readonly Check[] = [
  healthAndStats,
  processCost,
  feedFanOut,
  feedRate,
  chatMembers,
  joinLeave,
  streamKey,
  channelLimit,
  pollNoMembership,
  resumeAfterDrop,
  resumeFarBack,
  dropLikeANetworkFailure,
  noReconnectAfterRefusal,
  tokenRequired,
  controlCallsClosed,
  badInput,
  refusedConnects,
  slowConsumerCut,
  pollBatchBound,
  counters,
];
