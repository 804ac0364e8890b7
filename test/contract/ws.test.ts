import { transportContract } from './transport-contract.ts';

transportContract('ws', { joinAfterConnect: true, cutsSlowConsumers: true });
