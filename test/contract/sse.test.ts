import { transportContract } from './transport-contract.ts';

transportContract('sse', { joinAfterConnect: true, cutsSlowConsumers: true });
