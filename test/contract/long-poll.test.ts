import { transportContract } from './transport-contract.ts';

transportContract('long-poll', { joinAfterConnect: false, cutsSlowConsumers: false });
